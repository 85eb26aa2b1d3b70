package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.io.onnx.TestModels;

/**
 * {@code --dry-run} checks what the driver can check and stops before Spark work and output; settings Spark work
 * cannot run under are refused before it starts.
 */
class DryRunTest {
  private static List<String> miniLm(String command, Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of(command,
        "--model", TestModels.path(TestModels.MINILM).toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
        "--data", CalibrateCommandTest.SENTENCES.toString(), "--data-format", "text", "--max-samples", "16",
        "--batch-size", "8", "--master", "local[1]", "--output", out.toString()));
    args.addAll(List.of(extra));
    return args;
  }

  @Test
  void dataJobsCheckEverythingThenStopWithoutSparkWorkOrOutput(@TempDir Path dir) {
    for (String command : new String[] {"calibrate", "gptq", "qat"}) {
      Path out = dir.resolve(command);
      Cli.Result r = Cli.run(miniLm(command, out, "--dry-run").toArray(String[]::new));
      assertEquals(0, r.code(), command + ": " + r.err());
      assertTrue(r.out().contains("engine self-check:"), r.out());
      assertTrue(r.out().contains("dry run: " + command + "'s checks passed; nothing was run or written"), r.out());
      assertFalse(r.out().contains("batches"), "no Spark work: " + r.out());
      assertFalse(Files.exists(out), command + " wrote its output");
      assertFalse(Files.exists(dir.resolve(command + ".checkpoints")), command + " made checkpoints");
    }
  }

  @Test
  void quantizeChecksTheConfigModelAndOutputThenStops(@TempDir Path dir) {
    Path out = dir.resolve("q");
    Cli.Result r = Cli.run("quantize", "--model", TestModels.path(TestModels.MINILM).toString(), "--preset", "w4g32",
        "--output", out.toString(), "--dry-run");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("dry run: quantize's checks passed"), r.out());
    assertFalse(Files.exists(out));
  }

  @Test
  void aDryRunStillFailsOnBadInput(@TempDir Path dir) {
    List<String> args = miniLm("calibrate", dir.resolve("out"), "--dry-run");
    args.set(args.indexOf("--data") + 1, dir.resolve("missing.txt").toString());
    Cli.Result r = Cli.run(args.toArray(String[]::new));
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code(), r.out());
    CalibrateBadInputTest.assertOneLineError(r.err(), "missing.txt", false);
    assertFalse(Files.exists(dir.resolve("out")));
  }

  @Test
  void qatRefusesDynamicAllocationBeforeSparkWorkStarts(@TempDir Path dir) {
    Path out = dir.resolve("qat");
    Cli.Result r = Cli.run(miniLm("qat", out, "--conf", "spark.dynamicAllocation.enabled=true")
        .toArray(String[]::new));
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code(), r.err());
    List<String> lines = r.err().lines().toList();
    assertEquals(List.of("error: qat trains in barrier stages, which Spark cannot run with dynamic allocation: pass"
        + " --conf spark.dynamicAllocation.enabled=false (and --num-executors to spark-submit)",
        "Run 'sparkquant qat --help' for usage."), lines);
    assertFalse(Files.exists(out));
  }

  @Test
  void aLocalClusterMasterWithoutASparkInstallationIsOneLine(@TempDir Path dir) {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("SPARK_HOME") == null, "SPARK_HOME is set");
    List<String> args = miniLm("calibrate", dir.resolve("out"));
    args.set(args.indexOf("--master") + 1, "local-cluster[2,1,1024]");
    Cli.Result r = Cli.run(args.toArray(String[]::new));
    assertEquals(SparkQuantCli.EXIT_USAGE, r.code(), r.err());
    assertTrue(r.err().startsWith("error: --master local-cluster[2,1,1024] starts executor JVMs from a Spark"
        + " installation: set SPARK_HOME"), r.err());
    assertFalse(Files.exists(dir.resolve("out")));
  }
}
