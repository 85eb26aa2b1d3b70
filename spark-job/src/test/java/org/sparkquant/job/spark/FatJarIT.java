package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The fat jar holds what a Spark installation lacks and nothing it has: no class of the fat jar is also in the jars
 * of the Spark home, and the engine's native libraries and service files are there.
 */
class FatJarIT {
  private static final Path FAT_JAR = Path.of(LocalCluster.requiredProperty(SparkContexts.APP_JAR_PROPERTY));
  private static final Path SPARK_JARS = Path.of(LocalCluster.requiredEnv("SPARK_HOME"), "jars");

  @Test
  void noClassIsAlsoInSparksJars() throws IOException {
    Set<String> ours = classes(FAT_JAR);
    Set<String> spark = new TreeSet<>();
    try (Stream<Path> jars = Files.list(SPARK_JARS)) {
      jars.filter(p -> p.toString().endsWith(".jar")).forEach(p -> spark.addAll(classes(p)));
    }
    assertTrue(ours.size() > 1000, "fat jar has only " + ours.size() + " classes");
    assertTrue(spark.size() > 50_000, "Spark home has only " + spark.size() + " classes");
    Set<String> both = new TreeSet<>(ours);
    both.retainAll(spark);
    assertEquals(Set.of(), both, both.size() + " classes are both in the fat jar and in Spark's jars");
    for (String prefix : List.of("org/apache/spark/", "scala/", "org/apache/hadoop/", "com/fasterxml/jackson/databind/",
        "com/google/protobuf/", "org/apache/logging/", "org/slf4j/", "org/yaml/",
        "com/fasterxml/jackson/dataformat/yaml/")) {
      assertTrue(ours.stream().noneMatch(c -> c.startsWith(prefix)), "fat jar holds " + prefix);
    }
  }

  /**
   * Spark's binary distribution ships no unshaded protobuf-java, and neither does the test Spark home: the ONNX reader
   * finds protobuf relocated inside the fat jar, and no class of the fat jar refers to the original package.
   */
  @Test
  void protobufIsRelocatedIntoTheFatJarAndAbsentFromSpark() throws IOException {
    try (Stream<Path> jars = Files.list(SPARK_JARS)) {
      assertEquals(List.of(), jars.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("protobuf-java"))
          .toList(), "the Spark home should be shaped like the distribution");
    }
    try (JarFile jar = new JarFile(FAT_JAR.toFile())) {
      assertTrue(jar.getEntry("org/sparkquant/shaded/protobuf/CodedInputStream.class") != null,
          "fat jar lacks the relocated protobuf");
      List<String> unrelocated = new java.util.ArrayList<>();
      for (java.util.jar.JarEntry e : java.util.Collections.list(jar.entries())) {
        if (e.getName().startsWith("org/sparkquant/") && e.getName().endsWith(".class")) {
          String text = new String(jar.getInputStream(e).readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
          if (text.contains("com/google/protobuf/")) {
            unrelocated.add(e.getName());
          }
        }
      }
      assertEquals(List.of(), unrelocated, "classes that still refer to com/google/protobuf");
    }
  }

  @Test
  void holdsTheEngineTheCliAndTheirNativeLibraries() throws IOException {
    try (JarFile jar = new JarFile(FAT_JAR.toFile())) {
      assertEquals("org.sparkquant.job.cli.SparkQuantCli", jar.getManifest().getMainAttributes().getValue("Main-Class"));
      for (String entry : List.of("org/sparkquant/job/spark/SparkContexts.class", "org/sparkquant/io/onnx/OnnxModelReader.class",
          "pytorch/cpu/linux-x86_64/libtorch_cpu.so", "jnilib/linux-x86_64/cpu/libdjl_torch.so",
          "native/lib/linux-x86_64/cpu/libtokenizers.so", "picocli/CommandLine.class",
          "org/sparkquant/shaded/jackson/yaml/YAMLFactory.class",
          "org/sparkquant/shaded/snakeyaml/Yaml.class", "com/sun/jna/Native.class")) {
        assertTrue(jar.getEntry(entry) != null, "fat jar lacks " + entry);
      }
      ZipEntry services = jar.getEntry("META-INF/services/ai.djl.engine.EngineProvider");
      String providers = new String(jar.getInputStream(services).readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(providers.contains("ai.djl.pytorch.engine.PtEngineProvider"), providers);
      assertTrue(providers.contains("ai.djl.engine.rust.RsEngineProvider"), providers);
    }
  }

  private static Set<String> classes(Path jarPath) {
    try (JarFile jar = new JarFile(jarPath.toFile())) {
      return jar.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class"))
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(jarPath.toString(), e);
    }
  }
}
