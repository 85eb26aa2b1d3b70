package org.sparkquant.core.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.sparkquant.core.exec.NativeMemory;
import org.sparkquant.core.exec.quant.EngineQuantizer;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;

/**
 * Per-channel INT8 fake quantization of a 4096×4096 float tensor against a plain elementwise multiply of the same
 * tensor, on the same engine and threads. Prints median times and their ratio (target ≤ 2).
 *
 * <p>Arguments: {@code [iterations]} (default 20).
 */
public final class FakeQuantBenchmark {
  private FakeQuantBenchmark() {}

  public static void main(String[] args) {
    int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    NativeMemory.tune();
    int n = 4096;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.randomNormal(new Shape(n, n));
      float[] amax = x.abs().max(new int[] {1}).toFloatArray();
      float[] neg = new float[n];
      for (int i = 0; i < n; i++) {
        neg[i] = -amax[i];
      }
      QuantParams p = Scheme.SYMMETRIC.params(
          QuantType.INT8, Granularity.perChannel(0), new long[] {n}, neg, amax);
      EngineQuantizer.Broadcast b = EngineQuantizer.broadcast(m, p, new long[] {n, n});
      long[] fq = new long[iterations];
      long[] mul = new long[iterations];
      for (int i = -3; i < iterations; i++) {
        long t0 = System.nanoTime();
        NDArray y = EngineQuantizer.fakeQuantize(x, QuantType.INT8, b);
        long t1 = System.nanoTime();
        y.close();
        NDArray z = x.mul(x);
        long t2 = System.nanoTime();
        z.close();
        if (i >= 0) {
          fq[i] = t1 - t0;
          mul[i] = t2 - t1;
        }
      }
      Arrays.sort(fq);
      Arrays.sort(mul);
      double f = fq[iterations / 2] / 1e6;
      double mm = mul[iterations / 2] / 1e6;
      System.out.printf("fakequant_per_channel_int8_ms=%.2f%n", f);
      System.out.printf("elementwise_multiply_ms=%.2f%n", mm);
      System.out.printf("ratio=%.2f (target <= 2)%n", f / mm);
    }
  }
}
