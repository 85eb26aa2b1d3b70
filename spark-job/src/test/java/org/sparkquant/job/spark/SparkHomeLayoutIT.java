package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Spark home the integration tests run on ({@code SPARK_HOME}, assembled by the build) has the jars of the Spark
 * 4.1.1 binary distribution: {@code jars/} holds exactly the jars of {@code spark-4.1.1-bin-hadoop3.jars} (a test
 * resource, in the format of Spark's {@code dev/deps} files) that are not marked unavailable, and nothing else. In
 * particular no {@code protobuf-java}: the distribution has none, so a home with it would hide a fat jar that forgot
 * to bring its own.
 */
class SparkHomeLayoutIT {
  private static final String LIST = "spark-4.1.1-bin-hadoop3.jars";

  /** The listed jars, by file name: those the home must have, and those ("!" lines) it cannot have. */
  private record Listed(Set<String> provided, Set<String> unavailable) {}

  private static Listed listed() throws IOException {
    Set<String> provided = new TreeSet<>();
    Set<String> unavailable = new TreeSet<>();
    List<String> duplicates = new ArrayList<>();
    try (InputStream in = SparkHomeLayoutIT.class.getClassLoader().getResourceAsStream(LIST)) {
      assertNotNull(in, "test resource " + LIST);
      for (String raw : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        boolean missing = line.startsWith("!");
        String entry = missing ? line.substring(1) : line;
        String[] fields = entry.split("/", -1);
        assertEquals(4, fields.length, "not artifactId/version/classifier/fileName: " + raw);
        String name = fields[3];
        assertTrue(name.endsWith(".jar") && name.startsWith(fields[0] + "-" + fields[1]), "file name of " + raw);
        if (!(missing ? unavailable : provided).add(name)) {
          duplicates.add(name);
        }
      }
    }
    assertTrue(duplicates.isEmpty(), "listed twice: " + duplicates);
    return new Listed(provided, unavailable);
  }

  private static Set<String> homeJars() throws IOException {
    Path jars = Path.of(LocalCluster.requiredEnv("SPARK_HOME"), "jars");
    assertTrue(Files.isDirectory(jars), jars + " is not a directory");
    try (Stream<Path> files = Files.list(jars)) {
      return files.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  void jarsAreExactlyTheListedJarsOfTheDistribution() throws IOException {
    Listed listed = listed();
    Set<String> home = homeJars();
    Set<String> missing = new TreeSet<>(listed.provided());
    missing.removeAll(home);
    Set<String> extra = new TreeSet<>(home);
    extra.removeAll(listed.provided());
    assertTrue(missing.isEmpty() && extra.isEmpty(),
        "SPARK_HOME/jars differs from " + LIST + "; listed but missing: " + missing + "; not listed: " + extra);
    Set<String> unavailable = new TreeSet<>(listed.unavailable());
    unavailable.retainAll(home);
    assertTrue(unavailable.isEmpty(), "jars marked unavailable are present: " + unavailable);
  }

  @Test
  void theListIsTheDistributionsAndHasSparkButNoProtobufJava() throws IOException {
    Listed listed = listed();
    Set<String> all = new TreeSet<>(listed.provided());
    all.addAll(listed.unavailable());
    assertEquals(323, all.size(), "jars of spark-4.1.1-bin-hadoop3 (295 of dev/deps, 28 of Spark)");
    for (String jar : List.of("spark-core_2.13-4.1.1.jar", "spark-sql_2.13-4.1.1.jar", "spark-launcher_2.13-4.1.1.jar",
        "hadoop-client-api-3.4.2.jar", "hadoop-client-runtime-3.4.2.jar", "jackson-databind-2.20.0.jar",
        "scala-library-2.13.17.jar", "log4j-slf4j2-impl-2.24.3.jar")) {
      assertTrue(listed.provided().contains(jar), jar + " is not listed as provided");
    }
    assertTrue(all.stream().noneMatch(n -> n.startsWith("protobuf-java")), "protobuf-java listed: " + all);
  }

  @Test
  void homeHasNoProtobufJava() throws IOException {
    Set<String> protobuf = homeJars().stream().filter(n -> n.startsWith("protobuf-java"))
        .collect(Collectors.toCollection(TreeSet::new));
    assertTrue(protobuf.isEmpty(), "SPARK_HOME/jars has " + protobuf);
  }

  /** Like the distribution's {@code conf/} (templates only), the home configures no logging: the command does. */
  @Test
  void homeConfiguresNoLogging() {
    assertFalse(Files.exists(Path.of(LocalCluster.requiredEnv("SPARK_HOME"), "conf", "log4j2.properties")));
  }
}
