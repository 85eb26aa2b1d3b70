package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SparkContextsTest {

  @ParameterizedTest
  @ValueSource(strings = {"local", "local[4]", "local[*]", "local[2,3]", "local-cluster[2,1,2048]",
      "spark://127.0.0.1:7077", "spark://m1:7077,m2:7077", "yarn", "k8s://https://k8s.example.com:6443"})
  void acceptsSparkMasterUrls(String master) {
    assertEquals(master, SparkContexts.checkMaster(master));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "local[]", "local[x]", "locale", "local-cluster[2,1]", "spark://host", "127.0.0.1:7077",
      "YARN", "mesos://host:5050", "k8s://"})
  void rejectsAnythingElseNamingTheValue(String master) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SparkContexts.conf(master, "app"));
    assertEquals("--master: '" + master + "' is not a Spark master URL (expected local[*], local[N],"
        + " local-cluster[N,C,M], spark://host:port, yarn or k8s://https://host:port)", e.getMessage());
  }

  @Test
  void localMastersRunInProcessOthersDoNot() {
    assertTrue(SparkContexts.isInProcess("local[*]"));
    assertFalse(SparkContexts.isInProcess("local-cluster[2,1,1024]"));
    assertFalse(SparkContexts.isInProcess("yarn"));
  }

  @Test
  void configuresKryoEngineThreadsAndExecutorEnvironment() {
    SparkConf conf = SparkContexts.conf("local[2]", "calibrate");
    assertEquals("local[2]", conf.get("spark.master"));
    assertEquals("calibrate", conf.get("spark.app.name"));
    assertEquals("org.apache.spark.serializer.KryoSerializer", conf.get("spark.serializer"));
    assertEquals(SparkQuantKryoRegistrator.class.getName(), conf.get("spark.kryo.registrator"));
    assertEquals("true", conf.get("spark.kryo.registrationRequired"));
    assertEquals("false", conf.get("spark.ui.enabled"));
    assertEquals("1", conf.get("spark.executorEnv.MALLOC_ARENA_MAX"));
    String options = conf.get("spark.executor.extraJavaOptions");
    assertTrue(options.startsWith("-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1"
        + " -Dai.djl.pytorch.num_interop_threads=1 -Xss8m "), options);
    assertTrue(options.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), options);
    assertFalse(conf.contains("spark.jars"), "in-process masters ship no jar");
  }

  @Test
  void engineThreadsFollowTaskCpusAndUserOptionsComeLast() {
    System.setProperty("spark.task.cpus", "4");
    System.setProperty("spark.executor.extraJavaOptions", "-Dmine=1");
    try {
      String options = SparkContexts.conf("local[*]", "app").get("spark.executor.extraJavaOptions");
      assertTrue(options.contains("-Dai.djl.pytorch.num_threads=4 "), options);
      assertTrue(options.endsWith(" -Dmine=1"), options);
    } finally {
      System.clearProperty("spark.task.cpus");
      System.clearProperty("spark.executor.extraJavaOptions");
    }
  }

  @Test
  void settingsOfTheCommandWinOverSystemPropertiesAndShapeTheEngineSettings() {
    System.setProperty("spark.task.cpus", "4");
    try {
      SparkConf conf = SparkContexts.conf(null, "app", Map.of("spark.task.cpus", "2", "spark.master", "local[3]",
          "spark.kryo.registrationRequired", "false", "spark.serializer", "org.apache.spark.serializer.JavaSerializer",
          "spark.sparkquant.test.failFirstAttemptOfPartition", "1"));
      assertEquals("2", conf.get("spark.task.cpus"));
      assertEquals("local[3]", conf.get("spark.master"));
      assertTrue(conf.get("spark.executor.extraJavaOptions").contains("-Dai.djl.pytorch.num_threads=2 "));
      assertEquals("false", conf.get("spark.kryo.registrationRequired"));
      assertEquals("org.apache.spark.serializer.KryoSerializer", conf.get("spark.serializer"), "always Kryo");
      assertEquals("1", conf.get("spark.sparkquant.test.failFirstAttemptOfPartition"));
      assertEquals("local[2]", SparkContexts.conf("local[2]", "app", Map.of("spark.master", "local[3]"))
          .get("spark.master"), "--master wins over --conf spark.master");
    } finally {
      System.clearProperty("spark.task.cpus");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"task.cpus", "spark.", "Spark.task.cpus", "spark.task cpus"})
  void rejectsSettingsThatAreNotSparksNamingTheKey(String key) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SparkContexts.conf("local[1]", "app", Map.of(key, "1")));
    assertEquals("--conf: '" + key + "' is not a Spark setting (expected spark.<name>=<value>, e.g."
        + " spark.task.cpus=2)", e.getMessage());
  }

  @Test
  void clusterMastersShipTheApplicationJarOnce(@TempDir Path dir) throws Exception {
    Path jar = Files.createFile(dir.resolve("sparkquant-spark.jar"));
    System.setProperty(SparkContexts.APP_JAR_PROPERTY, jar.toString());
    try {
      SparkConf conf = SparkContexts.conf("spark://127.0.0.1:7077", "app");
      assertEquals(jar.toAbsolutePath().toString(), conf.get("spark.jars"));
      assertTrue(conf.contains("spark.ui.enabled") == false, "cluster UI stays as configured");
      SparkContexts.addJar(conf, jar);
      assertEquals(jar.toAbsolutePath().toString(), conf.get("spark.jars"));
    } finally {
      System.clearProperty(SparkContexts.APP_JAR_PROPERTY);
    }
  }

  @Test
  void clusterMastersWithoutAnApplicationJarSayWhatToDo() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> SparkContexts.conf("yarn", "app"));
    assertTrue(e.getMessage().contains("spark-submit"), e.getMessage());
  }

  @Test
  void missingApplicationJarSaysHowToBuildIt(@TempDir Path dir) {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> SparkContexts.addJar(new SparkConf(false), dir.resolve("sparkquant-spark.jar")));
    assertTrue(e.getMessage().contains("mvn package"), e.getMessage());
  }

  @Test
  void inProcessJobsRequireKryoRegistration() {
    try (JavaSparkContext sc = new JavaSparkContext(SparkContexts.conf("local[2]", "kryo-test"))) {
      assertEquals(List.of(2, 4, 6), sc.parallelize(List.of(1, 2, 3), 2).map(i -> 2 * i).collect());
      SparkException e = assertThrows(SparkException.class,
          () -> sc.parallelize(List.of(1, 2), 2).map(Optional::of).collect());
      assertTrue(e.getMessage().contains("Class is not registered: java.util.Optional"), e.getMessage());
    }
  }
}
