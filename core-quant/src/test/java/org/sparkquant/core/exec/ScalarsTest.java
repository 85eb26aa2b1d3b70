package org.sparkquant.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ScalarsTest {
  /** The gradient of {@code f} at {@code x}, with garbage collections and fresh direct buffers between the passes. */
  private static float[] gradientAfterCollections(float[] x, UnaryOperator<NDArray> f) {
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE)) {
      NDArray a = m.create(x);
      a.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getEngine(DjlExecutor.ENGINE).newGradientCollector()) {
        NDArray y = f.apply(a).sum();
        for (int i = 0; i < 3; i++) {
          System.gc();
          ByteBuffer[] reuse = new ByteBuffer[1000];
          for (int j = 0; j < reuse.length; j++) {
            reuse[j] = ByteBuffer.allocateDirect(4).putFloat(0, 1e30f);
          }
        }
        gc.backward(y);
      }
      return a.getGradient().toFloatArray();
    }
  }

  @Test
  void gradientsThroughScalarArithmeticSurviveGarbageCollection() {
    float[] x = {1, 2, -3, 4};
    for (int trial = 0; trial < 3; trial++) {
      assertArrayEquals(new float[] {3, 3, 3, 3}, gradientAfterCollections(x, a -> Scalars.mul(a, 3f)));
      assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, gradientAfterCollections(x, a -> Scalars.div(a, 2)));
      assertArrayEquals(new float[] {2, 4, -6, 8}, gradientAfterCollections(x, a -> Scalars.pow(a, 2)));
      assertArrayEquals(new float[] {0, 1, 0, 1}, gradientAfterCollections(x, a -> Scalars.maximum(a, 1.5f)));
      assertArrayEquals(new float[] {1, 0, 1, 0}, gradientAfterCollections(x, a -> Scalars.minimum(a, 1.5f)));
      assertArrayEquals(new float[] {1, 1, 1, 1},
          gradientAfterCollections(x, a -> Scalars.sub(Scalars.add(a, 1f), 2f)));
    }
  }
}
