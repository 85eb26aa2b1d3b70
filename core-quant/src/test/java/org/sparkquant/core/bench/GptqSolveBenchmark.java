package org.sparkquant.core.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.sparkquant.core.exec.NativeMemory;
import org.sparkquant.core.gptq.GptqConfig;
import org.sparkquant.core.gptq.GptqResult;
import org.sparkquant.core.gptq.GptqSolver;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.quantizer.WeightSpec;

/**
 * GPTQ solve of one random layer: weight {@code [rows, cols]} with Gaussian values, a correlated Hessian
 * ({@code D (M Mᵀ / k + 0.1 I) D}: {@code k = cols / 8} shared factors, feature scales {@code D}), UINT4 asymmetric
 * in groups of 128, blocks of 128, damping 0.01. Times {@link GptqSolver#solve} only (factorization and sweep), best
 * of the runs.
 *
 * <p>Arguments: {@code --rows R --cols C [--runs N] [--group G] [--act-order]}. The last line is
 * {@code solve_s=<seconds>}.
 */
public final class GptqSolveBenchmark {
  private GptqSolveBenchmark() {}

  public static void main(String[] args) {
    int rows = 4096;
    int cols = 4096;
    int runs = 3;
    int group = 128;
    boolean actOrder = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rows" -> rows = Integer.parseInt(args[++i]);
        case "--cols" -> cols = Integer.parseInt(args[++i]);
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--group" -> group = Integer.parseInt(args[++i]);
        case "--act-order" -> actOrder = true;
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + "; usage: --rows R --cols C [--runs N] [--group G] [--act-order]");
      }
    }
    NativeMemory.tune();
    Random r = new Random(42);
    float[] w = new float[rows * cols];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.02);
    }
    double[] h = correlatedHessian(r, cols);
    WeightSpec spec = new WeightSpec(QuantType.UINT4, Scheme.ASYMMETRIC, WeightSpec.Layout.PER_BLOCK, group);
    GptqConfig config = GptqConfig.of(spec).withActOrder(actOrder).withStaticGroups(actOrder);
    System.out.printf("gptq solve %dx%d, %s, block %d, act-order %b, threads %s%n", rows, cols, spec.describe(),
        config.blockSize(), actOrder, System.getProperty("ai.djl.pytorch.num_threads", "default"));
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < runs; i++) {
      GptqResult g = GptqSolver.solve(w, rows, cols, h, config);
      System.out.printf("run %d: seconds=%.3f loss=%.6g damping=%s%n", i + 1, g.seconds(), g.loss(), g.damping());
      best = Math.min(best, g.seconds());
    }
    System.out.printf("solve_s=%.3f%n", best);
  }

  private static double[] correlatedHessian(Random r, int cols) {
    int k = Math.max(1, cols / 8);
    float[] factors = new float[cols * k];
    for (int i = 0; i < factors.length; i++) {
      factors[i] = (float) r.nextGaussian();
    }
    double[] scale = new double[cols];
    for (int i = 0; i < cols; i++) {
      scale[i] = Math.exp(0.5 * r.nextGaussian());
    }
    double[] h;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray f = m.create(factors, new Shape(cols, k));
      h = f.matMul(f.transpose()).div(k).toType(DataType.FLOAT64, false).toDoubleArray();
    }
    for (int i = 0; i < cols; i++) {
      h[i * cols + i] += 0.1;
      for (int j = 0; j < cols; j++) {
        h[i * cols + j] *= scale[i] * scale[j];
      }
    }
    for (int i = 0; i < cols; i++) {
      for (int j = 0; j < i; j++) {
        h[i * cols + j] = h[j * cols + i]; // exactly symmetric
      }
    }
    return h;
  }
}
