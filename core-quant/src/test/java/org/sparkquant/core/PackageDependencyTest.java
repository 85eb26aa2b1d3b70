package org.sparkquant.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** core-quant's layering: its packages form a DAG, and it knows nothing of Spark, Hadoop or the modules above it. */
class PackageDependencyTest {
  /** Relative to the module directory, Maven's working directory for tests. */
  private static final Path SOURCES = Path.of("src/main/java");

  private static final String ROOT = "org.sparkquant.core";

  @Test
  void corePackagesHaveNoCycle() {
    PackageGraph graph = PackageGraph.read(SOURCES);
    assertTrue(graph.packages().contains(ROOT + ".exec") && graph.packages().contains(ROOT + ".graph"),
        "expected core-quant's sources under " + SOURCES.toAbsolutePath() + ", found packages " + graph.packages());
    Optional<List<String>> cycle = graph.cycle();
    assertTrue(cycle.isEmpty(), () -> "package cycle " + String.join(" -> ", cycle.get())
        + "; move the shared type below both packages. Package graph:\n" + graph.render(ROOT));
  }

  @Test
  void coreImportsNothingFromSparkHadoopOrTheModulesAboveIt() {
    PackageGraph graph = PackageGraph.read(SOURCES);
    assertEquals(Map.of(), graph.referencesTo("org.apache.spark", "org.apache.hadoop", "org.sparkquant.io",
        "org.sparkquant.job"), "core-quant must stay free of Spark, Hadoop, io-connectors and spark-job");
  }
}
