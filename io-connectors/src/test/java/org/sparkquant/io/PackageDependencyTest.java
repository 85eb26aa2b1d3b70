package org.sparkquant.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.PackageGraph;

/** io-connectors' layering: its packages form a DAG, and it knows nothing of Spark or the module above it. */
class PackageDependencyTest {
  private static final Path SOURCES = Path.of("src/main/java");

  @Test
  void connectorPackagesHaveNoCycle() {
    PackageGraph graph = PackageGraph.read(SOURCES);
    assertTrue(graph.packages().contains("org.sparkquant.io.data"), "no sources under " + SOURCES.toAbsolutePath());
    Optional<List<String>> cycle = graph.cycle();
    assertTrue(cycle.isEmpty(), () -> "package cycle " + String.join(" -> ", cycle.get()) + "; package graph:\n"
        + graph.render("org.sparkquant"));
  }

  @Test
  void connectorsImportNothingFromSparkOrTheJobs() {
    assertEquals(Map.of(), PackageGraph.read(SOURCES).referencesTo("org.apache.spark", "org.sparkquant.job"));
  }
}
