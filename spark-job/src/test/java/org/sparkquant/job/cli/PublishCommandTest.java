package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code publish}: a pointer to the newest complete output, replaced in one step. */
class PublishCommandTest {
  @Test
  void pointsAtACompleteOutputAndMovesOnToTheNextOne(@TempDir Path dir) throws Exception {
    for (String day : new String[] {"2026-12-07", "2026-12-08"}) {
      Files.createDirectories(dir.resolve(day));
      Files.createFile(dir.resolve(day).resolve("_SUCCESS"));
      Cli.Result r = Cli.run("publish", "--output", dir.resolve(day).toString(), "--latest",
          dir.resolve("latest").toString());
      assertEquals(0, r.code(), r.err());
      assertEquals(dir.resolve(day).toUri().toString().replaceAll("/$", "").replace("file:///", "file:/") + "\n",
          Files.readString(dir.resolve("latest")));
    }
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary file left");
    }
  }

  @Test
  void refusesAnOutputWithoutSuccessAndKeepsTheOldPointer(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("partial"));
    Files.writeString(dir.resolve("latest"), "file:/old\n");
    Cli.Result r = Cli.run("publish", "--output", dir.resolve("partial").toString(), "--latest",
        dir.resolve("latest").toString());
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code());
    assertEquals("error: output '" + dir.resolve("partial") + "' is not complete (it has no _SUCCESS); not published",
        r.err().strip());
    assertEquals("file:/old\n", Files.readString(dir.resolve("latest")));
    assertFalse(Files.exists(dir.resolve("missing")));
  }
}
