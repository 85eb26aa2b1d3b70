package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.qat.QatCodec;
import org.sparkquant.core.qat.QatState;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.job.cli.SparkQuantCli;

/**
 * {@code sparkquant qat} of MiniLM w4g32 (48 sentences, 3 steps of 16 in micro-batches of 4, one validation
 * sentence in ten) against the {@code local[1]} run with the same global batch: on {@code local-cluster[2,1,3072]}
 * (two executor JVMs, a training task on each per step) and in a driver process killed with SIGKILL after its second
 * checkpoint and resumed, the final weights and the exported model are those of the {@code local[1]} run, bit for bit.
 */
class QatLocalClusterIT {
  static final String CLUSTER = "local-cluster[2,1,3072]";
  static final Path OUTPUT_ROOT = Path.of("target", "it-qat").toAbsolutePath();

  private static final String[] SPREAD = {"--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
      "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=180s", "--conf", "spark.locality.wait=0"};

  static List<String> args(Path output, String master) {
    return new ArrayList<>(List.of("qat",
        "--model", TestModels.path(TestModels.MINILM).toAbsolutePath().toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toAbsolutePath().toString(),
        "--data", CalibrateRuns.SENTENCES.toString(), "--max-samples", "48",
        "--batch-size", "16", "--micro-batch-size", "4", "--steps", "3", "--checkpoint-every", "1",
        "--master", master, "--output", output.toString()));
  }

  /** Removes the output and the checkpoints of run {@code name}. */
  static void clean(String name) throws IOException {
    for (Path p : List.of(OUTPUT_ROOT.resolve(name), OUTPUT_ROOT.resolve(name + ".checkpoints"))) {
      if (Files.exists(p)) {
        try (var files = Files.walk(p)) {
          for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(f);
          }
        }
      }
    }
  }

  static String run(String name, String master, String... extra) {
    List<String> args = args(OUTPUT_ROOT.resolve(name), master);
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    long started = System.nanoTime();
    int code = SparkQuantCli.execute(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
    System.out.printf("qat %s on %s: exit %d in %.1f s%n%s", name, master, code, (System.nanoTime() - started) / 1e9,
        out);
    assertEquals(0, code, out + "\n" + err);
    return out.toString();
  }

  static QatState finalState(String name) {
    Path dir = OUTPUT_ROOT.resolve(name).resolve("checkpoints").resolve("step-00000003");
    try (InputStream in = Files.newInputStream(dir.resolve("state.bin"))) {
      return QatCodec.readState(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] model(String name) throws IOException {
    return Files.readAllBytes(OUTPUT_ROOT.resolve(name).resolve("model.onnx"));
  }

  @BeforeAll
  static void reference() throws IOException {
    LocalCluster.requiredEnv("SPARK_HOME");
    clean("local-1");
    run("local-1", "local[1]");
  }

  @Test
  void twoExecutorJvmsTrainTheWeightsOfLocalOne() throws Exception {
    clean("local-cluster");
    run("local-cluster", CLUSTER, SPREAD);
    JsonNode report = new ObjectMapper().readTree(OUTPUT_ROOT.resolve("local-cluster/report.json").toFile());
    assertEquals(2, report.get("totals").get("partitions").asInt(), report.toString());
    assertTrue(report.get("provenance").get("spark_application_id").asText().startsWith("app-"));
    QatState one = finalState("local-1");
    QatState two = finalState("local-cluster");
    double diff = one.maxDifference(two);
    System.out.println("local[1] vs " + CLUSTER + ": max weight difference " + diff + ", same bits "
        + one.sameBits(two));
    assertTrue(diff <= 1e-5, "max difference " + diff);
    assertTrue(one.sameBits(two), "weights, moments and statistics differ (max weight difference " + diff + ")");
    assertArrayEquals(model("local-1"), model("local-cluster"));
    JsonNode reference = new ObjectMapper().readTree(OUTPUT_ROOT.resolve("local-1/report.json").toFile());
    assertEquals(reference.get("loss_curve"), report.get("loss_curve"));
  }

  @Test
  void aDriverKilledAfterACheckpointResumesToTheWeightsOfAnUninterruptedRun() throws Exception {
    String name = "killed";
    clean(name);
    Path output = OUTPUT_ROOT.resolve(name);
    Path checkpoints = output.resolveSibling(name + ".checkpoints");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-D") || a.startsWith("--add-opens") || a.startsWith("-X")).toList());
    Path sparkHome = Path.of(LocalCluster.requiredProperty("sparkquant.spark.home"));
    command.addAll(List.of("-cp", LocalCluster.requiredProperty("sparkquant.jar") + ":" + sparkHome.resolve("jars")
        + "/*", SparkQuantCli.class.getName()));
    command.addAll(args(output, "local[1]"));
    Path log = OUTPUT_ROOT.resolve(name + ".log");
    Files.createDirectories(OUTPUT_ROOT);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(SparkContexts.EXECUTOR_ENV);
    Process driver = builder.start();
    Path second = checkpoints.resolve("step-00000002");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    try {
      while (!Files.isDirectory(second) && driver.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      assertTrue(Files.isDirectory(second), "no second checkpoint; log:\n" + Files.readString(log));
    } finally {
      driver.destroyForcibly();
      driver.waitFor(60, TimeUnit.SECONDS);
    }
    System.out.println("killed the driver process after " + second);
    assertTrue(!Files.exists(output), "the killed run wrote no output");
    String out = run(name, "local[1]", "--resume");
    assertTrue(out.contains("resuming at step 2") || out.contains("resuming at step 3"), out);
    QatState straight = finalState("local-1");
    QatState resumed = finalState(name);
    assertTrue(straight.sameBits(resumed), "max difference " + straight.maxDifference(resumed));
    assertArrayEquals(model("local-1"), model(name));
  }
}
