package org.sparkquant.io.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.io.fs.FileStore;

/** Output commits through Hadoop's file system API, here on local disk (HDFS and S3 are tested in spark-job). */
class AtomicDirectoryTest {
  private static final FileStore STORE = FileStore.defaults();

  private static void write(Path target, boolean overwrite, String text) {
    AtomicDirectory.write(STORE, target.toUri().toString(), overwrite, dir -> {
      try (OutputStream out = dir.create("a.txt")) {
        out.write(text.getBytes());
      }
    });
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesEverythingThenSuccessWithoutChecksumFiles(@TempDir Path dir) throws Exception {
    write(dir.resolve("out"), false, "one");
    assertEquals(List.of("_SUCCESS", "a.txt"), names(dir.resolve("out")));
    assertEquals(List.of("out"), names(dir), "no temporary directory left");
    assertTrue(AtomicDirectory.isComplete(STORE, dir.resolve("out").toString()));
  }

  @Test
  void overwriteReplacesTheOldOutputAndOtherwiseItIsRefused(@TempDir Path dir) throws Exception {
    write(dir.resolve("out"), false, "one");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> write(dir.resolve("out"), false, "two"));
    assertTrue(e.getMessage().endsWith("already exists; pass --overwrite to replace it"), e.getMessage());
    write(dir.resolve("out"), true, "two");
    assertEquals("two", Files.readString(dir.resolve("out/a.txt")));
    assertEquals(List.of("out"), names(dir));
  }

  @Test
  void aFailingWriterLeavesNothingAndTheOldOutputAsItWas(@TempDir Path dir) throws Exception {
    write(dir.resolve("out"), false, "one");
    assertThrows(IllegalStateException.class, () -> AtomicDirectory.write(STORE, dir.resolve("out").toString(), true,
        d -> {
          d.create("a.txt").close();
          throw new IllegalStateException("broken");
        }));
    assertEquals("one", Files.readString(dir.resolve("out/a.txt")));
    assertEquals(List.of("out"), names(dir));
  }

  @Test
  void aFileInThePathIsNamed(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("file"), "x");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AtomicDirectory.checkWritable(STORE, dir.resolve("file/out").toString(), false));
    assertTrue(e.getMessage().contains("is a file; expected a directory"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("file/out")));
  }
}
