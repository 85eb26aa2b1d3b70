package org.sparkquant.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.PackageGraph;

/**
 * spark-job's layers: {@code cli} parses and prints, {@code pipeline} validates, runs and commits, the job packages
 * distribute, {@code spark} and {@code samples} are the ground floor. A package depends only on layers below it, a
 * job never on another job, and no command class on another command class.
 */
class PackageDependencyTest {
  private static final Path SOURCES = Path.of("src/main/java");

  private static final String JOB = "org.sparkquant.job.";

  /** The layers, top first; packages of one layer may not depend on each other. */
  private static final List<List<String>> LAYERS = List.of(
      List.of("cli", "api"), List.of("pipeline"), List.of("calibrate", "gptq", "qat"), List.of("spark"),
      List.of("samples"));

  @Test
  void jobPackagesHaveNoCycle() {
    PackageGraph graph = PackageGraph.read(SOURCES);
    Optional<List<String>> cycle = graph.cycle();
    assertTrue(cycle.isEmpty(), () -> "package cycle " + String.join(" -> ", cycle.get()));
  }

  @Test
  void eachLayerDependsOnlyOnLayersBelowIt() {
    PackageGraph graph = PackageGraph.read(SOURCES);
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, SortedSet<String>> e : graph.dependencies().entrySet()) {
      int from = layerOf(e.getKey());
      for (String to : e.getValue()) {
        if (to.startsWith(JOB) && layerOf(to) <= from) {
          wrong.add(e.getKey() + " -> " + to);
        }
      }
    }
    assertEquals(List.of(), wrong, "upward or sideways dependencies; package graph:\n" + graph.render(JOB));
  }

  @Test
  void noCommandRefersToAnotherCommand() throws IOException {
    Pattern command = Pattern.compile("\\b(\\w+Command)\\b");
    List<String> wrong = new ArrayList<>();
    try (Stream<Path> files = Files.list(SOURCES.resolve("org/sparkquant/job/cli"))) {
      for (Path f : files.filter(p -> p.toString().endsWith("Command.java")).toList()) {
        String self = f.getFileName().toString().replace(".java", "");
        Matcher m = command.matcher(Files.readString(f));
        while (m.find()) {
          if (!m.group(1).equals(self)) {
            wrong.add(self + " -> " + m.group(1));
          }
        }
      }
    }
    assertEquals(List.of(), wrong);
  }

  private static int layerOf(String pkg) {
    String name = pkg.substring(JOB.length()).split("\\.")[0];
    for (int i = 0; i < LAYERS.size(); i++) {
      if (LAYERS.get(i).contains(name)) {
        return i;
      }
    }
    throw new AssertionError("package " + pkg + " is in no layer; add it to LAYERS");
  }
}
