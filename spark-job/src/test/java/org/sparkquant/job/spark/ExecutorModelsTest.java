package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.quantizer.PreparedModel;
import org.sparkquant.core.quantizer.Quantizer;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.TestModels;

class ExecutorModelsTest {
  private static PreparedModel prepare(AtomicInteger count) {
    count.incrementAndGet();
    return new Quantizer(new OnnxModelReader().read(TestModels.path(TestModels.OCR_CLS)),
        QuantizerConfig.preset("w8a8")).prepare();
  }

  @Test
  void aModelIsPreparedOncePerJvmAndConcurrentTasksGetTheirOwn() {
    AtomicInteger prepared = new AtomicInteger();
    PreparedModel first;
    try (ExecutorModels.Lease<PreparedModel> a = ExecutorModels.lease("k1", () -> prepare(prepared))) {
      first = a.model();
      try (ExecutorModels.Lease<PreparedModel> b = ExecutorModels.lease("k1", () -> prepare(prepared))) {
        assertNotSame(first, b.model(), "a model in use is not shared");
      }
    }
    try (ExecutorModels.Lease<PreparedModel> c = ExecutorModels.lease("k1", () -> prepare(prepared))) {
      assertEquals(2, prepared.get(), "returned models are reused");
      try (ExecutorModels.Lease<PreparedModel> d = ExecutorModels.lease("k1", () -> prepare(prepared))) {
        assertEquals(2, prepared.get());
      }
    }
    try (ExecutorModels.Lease<PreparedModel> e = ExecutorModels.lease("k2", () -> prepare(prepared))) {
      assertEquals(3, prepared.get(), "another model key prepares anew");
    }
    try (ExecutorModels.Lease<PreparedModel> f = ExecutorModels.lease("k2", () -> prepare(prepared))) {
      assertEquals(3, prepared.get());
      assertSame(f.model(), f.model());
    }
  }
}
