package org.sparkquant.job.qat;

import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Which training samples each step uses and how a step splits into micro-batches and partitions, as a pure function
 * of the numbers and the seed: every epoch visits the training samples in its own seeded permutation, step {@code b}
 * of an epoch takes the permutation's {@code b}-th run of {@code batchSize} samples (the last run may be shorter), and
 * a step's samples form micro-batches of {@code microBatchSize} consecutive samples. Partition {@code p} of
 * {@code P} computes a contiguous range of a step's micro-batches, so the partitioning decides only where a
 * micro-batch runs, never what is in it.
 *
 * @param samples training samples
 * @param batchSize samples per step (the global batch)
 * @param microBatchSize samples per micro-batch (one gradient computation)
 * @param totalSteps steps of the run
 * @param seed seed of the epochs' permutations
 */
public record TrainingPlan(int samples, int batchSize, int microBatchSize, long totalSteps, long seed)
    implements Serializable {
  public TrainingPlan {
    if (samples < 1 || batchSize < 1 || microBatchSize < 1 || totalSteps < 1) {
      throw new IllegalArgumentException("samples, batch sizes and steps must be positive");
    }
  }

  /** Steps that visit every training sample once. */
  public long stepsPerEpoch() {
    return (samples + batchSize - 1) / batchSize;
  }

  /** The plan that runs {@code epochs} whole epochs. */
  public static TrainingPlan ofEpochs(int samples, int batchSize, int microBatchSize, int epochs, long seed) {
    long perEpoch = (samples + batchSize - 1) / batchSize;
    return new TrainingPlan(samples, batchSize, microBatchSize, perEpoch * epochs, seed);
  }

  /** The 0-based epoch of step {@code step}. */
  public long epochOf(long step) {
    return step / stepsPerEpoch();
  }

  /** Whether step {@code step} is the last of its epoch (or of the run). */
  public boolean endsEpoch(long step) {
    return (step + 1) % stepsPerEpoch() == 0 || step + 1 == totalSteps;
  }

  /** Indices (into the training samples) of the samples of step {@code step}, in order. */
  public int[] stepSamples(long step) {
    int[] perm = permutation(epochOf(step));
    int from = (int) (step % stepsPerEpoch()) * batchSize;
    return Arrays.copyOfRange(perm, from, Math.min(from + batchSize, samples));
  }

  /** Micro-batches of step {@code step}. */
  public int microBatches(long step) {
    return (stepSamples(step).length + microBatchSize - 1) / microBatchSize;
  }

  /** The fewest micro-batches of any step (the last step of an epoch is the shortest). */
  public int fewestMicroBatches() {
    long lastOfEpoch = samples - (stepsPerEpoch() - 1) * batchSize;
    long shortest = totalSteps < stepsPerEpoch() ? batchSize : lastOfEpoch;
    return (int) ((shortest + microBatchSize - 1) / microBatchSize);
  }

  /** Indices of the samples of micro-batch {@code i} of step {@code step}. */
  public int[] microBatch(long step, int i) {
    int[] s = stepSamples(step);
    return Arrays.copyOfRange(s, i * microBatchSize, Math.min((i + 1) * microBatchSize, s.length));
  }

  /** The micro-batches {@code [from, to)} of {@code n} that partition {@code p} of {@code partitions} computes. */
  public static int[] range(int p, int partitions, int n) {
    return new int[] {(int) ((long) p * n / partitions), (int) ((long) (p + 1) * n / partitions)};
  }

  /** A seeded Fisher-Yates permutation of the training samples for epoch {@code epoch}. */
  int[] permutation(long epoch) {
    int[] perm = new int[samples];
    for (int i = 0; i < samples; i++) {
      perm[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
    for (int i = samples - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }

  /**
   * Splits {@code count} samples (global indices) into training and validation: a seeded permutation's first
   * {@code round(fraction · count)} samples validate (at least one when the fraction is positive, never all); both
   * lists come back sorted.
   */
  public static int[][] split(int count, double fraction, long seed) {
    if (fraction < 0 || fraction >= 1) {
      throw new IllegalArgumentException("validation fraction must lie in [0, 1), found " + fraction);
    }
    int validation = fraction == 0 ? 0 : (int) Math.min(count - 1, Math.max(1, Math.round(fraction * count)));
    int[] perm = new TrainingPlan(count, 1, 1, 1, seed ^ 0x5DEECE66DL).permutation(0);
    int[] v = Arrays.copyOf(perm, validation);
    int[] t = Arrays.copyOfRange(perm, validation, count);
    Arrays.sort(v);
    Arrays.sort(t);
    return new int[][] {t, v};
  }
}
