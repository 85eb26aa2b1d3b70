package org.sparkquant.core.exec.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;

class TrainableFakeQuantTest {
  private static final QuantType T = QuantType.INT8;

  private static float[] random(Random r, int n, double sd) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * sd);
    }
    return a;
  }

  @Test
  void forwardEqualsFakeQuantizeBitForBit() {
    Random r = new Random(4);
    float[] x = random(r, 512, 3);
    try (NDManager m = NDManager.newBaseManager()) {
      QuantParams p = QuantParams.perTensor(T, 0.02f, 3);
      NDArray y = TrainableFakeQuant.apply(m.create(x), m.create(0.02f), m.create(3f), T, 0.37f);
      float[] want = EngineQuantizer.fakeQuantize(m.create(x), p).toFloatArray();
      float[] got = y.toFloatArray();
      for (int i = 0; i < x.length; i++) {
        assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]));
      }
    }
  }

  @Test
  void fixedParameterEstimatorEqualsFakeQuantizeAndPassesGradientsInsideTheRange() {
    Random r = new Random(5);
    for (QuantType t : new QuantType[] {QuantType.INT8, QuantType.UINT8, QuantType.INT4}) {
      float[] x = random(r, 4096, 3);
      x[0] = 0f;
      x[1] = -0f;
      try (NDManager m = NDManager.newBaseManager()) {
        QuantParams p = QuantParams.perTensor(t, 0.05f, t.isSigned() ? 0 : 7);
        NDArray xa = m.create(x);
        xa.setRequiresGradient(true);
        NDArray y;
        try (GradientCollector gc = m.getEngine().newGradientCollector()) {
          y = TrainableFakeQuant.straightThrough(xa, EngineQuantizer.broadcast(m, p, new long[] {x.length}), t);
          gc.backward(y.sum());
        }
        float[] want = EngineQuantizer.fakeQuantize(m.create(x), p).toFloatArray();
        float[] got = y.toFloatArray();
        float[] g = xa.getGradient().toFloatArray();
        int inside = 0;
        for (int i = 0; i < x.length; i++) {
          assertEquals(want[i], got[i], 0f, t + " element " + i + " (equal values; a zero may lose its sign)");
          float code = Math.round(x[i] / 0.05f) + p.zeroPoint()[0];
          boolean in = code >= t.min() && code <= t.max();
          inside += in ? 1 : 0;
          assertEquals(in ? 1f : 0f, g[i], t + " gradient of x=" + x[i]);
        }
        assertTrue(inside > 100 && inside < x.length, t + ": " + inside + " inside");
      }
    }
  }

  @Test
  void straightThroughGradientIsOneInsideTheRangeAndZeroOutside() {
    float s = 0.05f;
    float[] x = {0.01f, -1.3f, 6.3f, -6.5f, 7f, -7f, 100f};
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray xa = m.create(x);
      xa.setRequiresGradient(true);
      try (GradientCollector gc = m.getEngine().newGradientCollector()) {
        gc.backward(TrainableFakeQuant.apply(xa, m.create(s), m.create(0f), T, 1f).sum());
      }
      float[] g = xa.getGradient().toFloatArray();
      for (int i = 0; i < x.length; i++) {
        float v = Math.round(x[i] / s);
        boolean inside = x[i] / s >= T.min() && x[i] / s <= T.max();
        assertEquals(inside ? 1f : 0f, g[i], "x=" + x[i] + " v=" + v);
      }
    }
  }

  /**
   * The surrogate the estimator differentiates: h(s) = Σ w·clip(x/s + c, min, max)·s with c = round(x/s₀) − x/s₀
   * held fixed; central differences of h at s₀ (away from the clipping kinks) must equal the autograd scale gradient
   * divided by LSQ's g.
   */
  @Test
  void lsqScaleGradientMatchesFiniteDifferencesOfTheEstimator() {
    Random r = new Random(8);
    int n = 256;
    float[] x = random(r, n, 2);
    float[] w = random(r, n, 1);
    float s0 = 0.011f;
    for (int i = 0; i < n; i++) {
      // Keep x/s0 away from the clipping kinks, where the surrogate is not differentiable.
      while (Math.abs(Math.abs(Math.rint(x[i] / s0)) - 127.5) < 3) {
        x[i] *= 1.1f;
      }
    }
    float g = TrainableFakeQuant.lsqGradFactor(n, T);
    float grad;
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray scale = m.create(new float[] {s0}, new Shape(1));
      scale.setRequiresGradient(true);
      try (GradientCollector gc = m.getEngine().newGradientCollector()) {
        NDArray y = TrainableFakeQuant.apply(m.create(x), scale, m.create(0f), T, g);
        gc.backward(y.mul(m.create(w)).sum());
      }
      grad = scale.getGradient().toFloatArray()[0];
    }
    double[] c = new double[n];
    for (int i = 0; i < n; i++) {
      c[i] = Math.rint(x[i] / s0) - (double) x[i] / s0;
    }
    double h = 1e-6;
    double fd = (surrogate(x, w, c, s0 + h) - surrogate(x, w, c, s0 - h)) / (2 * h);
    assertEquals(fd * g, grad, 1e-3 * Math.abs(fd * g) + 1e-4);
    double lsq = 0;
    for (int i = 0; i < n; i++) {
      double v = x[i] / s0;
      double q = Math.rint(v);
      lsq += w[i] * (q < T.min() ? T.min() : q > T.max() ? T.max() : q - v);
    }
    assertEquals(lsq * g, grad, 1e-3 * Math.abs(lsq * g) + 1e-4, "the LSQ formula");
  }

  private static double surrogate(float[] x, float[] w, double[] c, double s) {
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      double v = Math.max(T.min(), Math.min(T.max(), x[i] / s + c[i]));
      sum += w[i] * v * s;
    }
    return sum;
  }

  @Test
  void learnableZeroPointGetsAStraightThroughGradient() {
    float[] x = {0.3f, 0.7f, -0.2f, 50f};
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray zp = m.create(new float[] {2.4f}, new Shape(1));
      zp.setRequiresGradient(true);
      try (GradientCollector gc = m.getEngine().newGradientCollector()) {
        gc.backward(TrainableFakeQuant.apply(m.create(x), m.create(0.1f), zp, T, 1f).sum());
      }
      // d/dzp of (clip(v + zp) - zp)·s: 0 inside the range, -s where clipped (x = 50 saturates at 127).
      assertEquals(-0.1f, zp.getGradient().toFloatArray()[0], 1e-6);
    }
  }
}
