package org.sparkquant.job.calibrate;

import org.sparkquant.job.samples.PlacedSamples;
import org.sparkquant.job.samples.BatchPlan;
import java.io.PrintWriter;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Console progress of a calibration: batches done of the total, samples per second and the estimated time left,
 * printed every few seconds while the calibration runs (counts advance as tasks finish).
 */
public final class CalibrationProgress implements PlacedSamples.Progress, AutoCloseable {
  private static final long PERIOD_MS = 5000;

  private final PrintWriter out;
  private volatile BatchPlan plan;
  private volatile LongAccumulator done;
  private volatile long startNanos;
  private final Thread printer;

  public CalibrationProgress(JavaSparkContext sc, PrintWriter out) {
    this.out = out;
    this.printer = new Thread(this::loop, "sparkquant-progress");
    printer.setDaemon(true);
  }

  @Override
  public void planned(BatchPlan plan, LongAccumulator samplesDone) {
    this.plan = plan;
    this.done = samplesDone;
    this.startNanos = System.nanoTime();
    out.printf("calibrate: %,d samples in %,d batches on %d partitions%n", plan.samples(), plan.batches(),
        plan.partitionCount());
    out.flush();
    printer.start();
  }

  private void loop() {
    try {
      while (!Thread.currentThread().isInterrupted()) {
        Thread.sleep(PERIOD_MS);
        print();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One progress line. */
  String line() {
    long samples = done.value();
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    double rate = seconds > 0 ? samples / seconds : 0;
    long batchesDone = Math.min(plan.batches(), (samples + plan.batchSize() - 1) / plan.batchSize());
    long left = plan.samples() - samples;
    String eta = rate > 0 ? formatSeconds(left / rate) : "?";
    return String.format("calibrate: batches %,d/%,d (%d%%), %.1f samples/s, ETA %s", batchesDone, plan.batches(),
        100 * batchesDone / plan.batches(), rate, eta);
  }

  private void print() {
    out.println(line());
    out.flush();
  }

  static String formatSeconds(double s) {
    long t = Math.round(s);
    return String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
  }

  @Override
  public void close() {
    printer.interrupt();
    if (plan != null) {
      print();
    }
  }
}
