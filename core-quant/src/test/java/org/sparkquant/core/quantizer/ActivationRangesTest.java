package org.sparkquant.core.quantizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;

class ActivationRangesTest {
  private static final ActivationSpec SPEC = ActivationSpec.minMax(QuantType.UINT8);

  @Test
  void mergedSnapshotsGiveTheParametersOfObservingEverything() {
    try (NDManager m = NDManager.newBaseManager()) {
      ActivationRanges<?> all = new ActivationRanges<>(SPEC.newObserver());
      ActivationRanges<?> a = new ActivationRanges<>(SPEC.newObserver());
      ActivationRanges<?> b = new ActivationRanges<>(SPEC.newObserver());
      all.observe("g", "x", m.create(new float[] {-1, 2}));
      all.observe("g", "x", m.create(new float[] {0, 5}));
      a.observe("g", "x", m.create(new float[] {-1, 2}));
      b.observe("g", "x", m.create(new float[] {0, 5}));
      a.params("g");
      a.merge(b.snapshot(1));
      assertEquals(all.params("g"), a.params("g"), "parameters are recomputed after a merge");
    }
  }

  @Test
  void fixedParametersWinOverStatisticsAndOutliveClear() {
    try (NDManager m = NDManager.newBaseManager()) {
      ActivationRanges<?> r = new ActivationRanges<>(SPEC.newObserver());
      assertFalse(r.seen("g"));
      r.observe("g", "x", m.create(new float[] {-1, 2}));
      QuantParams fixed = QuantParams.perTensor(QuantType.UINT8, 0.5f, 3);
      r.fix("g", fixed);
      assertEquals(fixed, r.params("g"));
      r.clear();
      assertTrue(r.seen("g"));
      assertEquals(fixed, r.params("g"));
    }
  }
}
