package org.sparkquant.job.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.job.pipeline.CalibrateReport;

/** The Java API inside a user's own Spark application, whose session it must use as it is and leave running. */
class SparkQuantTest {
  private static JobOptions.Builder minilm(Path out) {
    return JobOptions.builder()
        .model(TestModels.path(TestModels.MINILM).toString())
        .tokenizer(TestModels.path(TestModels.MINILM_TOKENIZER).toString())
        .data(Path.of("..", "data", "sentences", "calibration.txt").toString())
        .maxSamples(16).batchSize(8).output(out.toString());
  }

  @Test
  void calibrateRunsInTheCallersSessionAndLeavesItRunning(@TempDir Path dir) throws Exception {
    // The application's own settings: Java serialization, no SparkQuant executor options.
    SparkSession spark = SparkSession.builder().master("local[2]").appName("user application")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      CalibrateReport report = SparkQuant.calibrate(spark, minilm(dir.resolve("w8a8")).build());
      assertEquals(16, report.totals().samples());
      assertTrue(Files.exists(dir.resolve("w8a8/_SUCCESS")));
      assertEquals(spark.sparkContext().applicationId(), report.provenance().sparkApplicationId());
      assertFalse(spark.sparkContext().isStopped(), "the caller's session is left running");
      assertEquals(6L, new JavaSparkContext(spark.sparkContext()).parallelize(List.of(1, 2, 3)).map(x -> x * 2)
          .reduce(Integer::sum) / 2);

      assertNull(SparkQuant.calibrate(spark, minilm(dir.resolve("w8a8")).skipIfComplete(true).build()),
          "a complete output is left as it is");
      IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
          () -> SparkQuant.calibrate(spark, minilm(dir.resolve("w8a8")).build()));
      assertTrue(taken.getMessage().contains("already exists"), taken.getMessage());
    } finally {
      spark.stop();
    }
  }

  @Test
  void badSettingsAreRefusedWhenTheOptionsAreBuilt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> minilm(Path.of("out")).batchSize(0).build());
    assertTrue(e.getMessage().contains("--batch-size"), e.getMessage());
  }
}
