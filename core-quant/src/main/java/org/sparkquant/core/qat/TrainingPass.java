package org.sparkquant.core.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.exec.quant.EngineQuantizer;
import org.sparkquant.core.exec.quant.TrainableFakeQuant;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.quantizer.PreparedModel;

/**
 * One forward pass of a {@link QatModel} under a step's {@link QatParameters}: the trained tensors become engine
 * arrays of {@code manager} (leaves that collect gradients where {@code withGradients}), weights are fake-quantized
 * with straight-through gradients (scales of the step) or LSQ (learned scales), activations with the step's
 * parameters or their learned scales.
 */
final class TrainingPass implements PreparedModel.Trainer {
  private final NDManager manager;
  private final Trainables trainables;
  private final QatParameters params;
  private final boolean withGradients;
  private final Map<String, NDArray> leaves = new LinkedHashMap<>();

  TrainingPass(NDManager manager, Trainables trainables, QatParameters params, boolean withGradients) {
    this.manager = manager;
    this.trainables = trainables;
    this.params = params;
    this.withGradients = withGradients;
  }

  /** The engine array of trained tensor {@code key}, made on first use. */
  private NDArray leaf(String key, long[] shape) {
    return leaves.computeIfAbsent(key, k -> {
      NDArray a = manager.create(params.tensor(k), new Shape(shape));
      // made during a run: kept past the run's scope, for the gradients read after the backward pass
      NDScope.unregister(a);
      if (withGradients && params.trained().contains(k)) {
        a.setRequiresGradient(true);
      }
      return a;
    });
  }

  @Override
  public Set<String> constants() {
    return trainables.vectorNames();
  }

  @Override
  public NDArray constant(String name, NDArray stored) {
    Trainables.Weight w = trainables.weight(name);
    if (w == null) {
      return params.tensors().containsKey(name) ? leaf(name, stored.getShape().getShape()) : stored;
    }
    NDArray x = leaf(name, w.shape());
    QuantParams p = params.weightParams().get(name);
    String scaleKey = Trainables.weightScaleKey(name);
    if (params.tensors().containsKey(scaleKey)) {
      NDArray scale = leaf(scaleKey, p.paramShape());
      NDArray expanded = EngineQuantizer.expand(scale, p.granularity(), w.shape());
      NDArray zero = EngineQuantizer.broadcast(manager, p, w.shape()).zeroPoint();
      float g = TrainableFakeQuant.lsqGradFactor(w.size() / p.scale().length, p.type());
      return TrainableFakeQuant.apply(x, expanded, zero, p.type(), g);
    }
    return straightThrough(x, p);
  }

  @Override
  public NDArray activation(String group, NDArray v) {
    QuantParams p = params.activationParams().get(group);
    if (p == null) {
      return v;
    }
    String scaleKey = Trainables.activationScaleKey(group);
    if (params.tensors().containsKey(scaleKey)) {
      NDArray scale = leaf(scaleKey, new long[0]);
      NDArray zero = manager.create((float) p.zeroPoint()[0]);
      float g = TrainableFakeQuant.lsqGradFactor(v.getShape().size(), p.type());
      return TrainableFakeQuant.apply(v, scale, zero, p.type(), g);
    }
    return straightThrough(v, p);
  }

  @Override
  public boolean observes() {
    return params.observing();
  }

  /** Fake quantization with fixed parameters, passing gradients inside the range (integers) or everywhere (floats). */
  private NDArray straightThrough(NDArray x, QuantParams p) {
    EngineQuantizer.Broadcast b = EngineQuantizer.broadcast(manager, p, x.getShape().getShape());
    if (p.type().isFloat()) {
      return x.add(EngineQuantizer.fakeQuantize(x, p.type(), b).sub(x).stopGradient());
    }
    return TrainableFakeQuant.straightThrough(x, b, p.type());
  }

  /**
   * The gradient of every trained tensor after a backward pass, keyed as {@link QatParameters#tensors()}; zeros for
   * tensors no loss reached.
   */
  Map<String, float[]> gradients() {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (String key : params.trained()) {
      NDArray a = leaves.get(key);
      float[] g = null;
      if (a != null && a.hasGradient()) {
        try (NDArray grad = a.getGradient()) {
          g = grad.toFloatArray();
        }
      }
      out.put(key, g != null ? g : new float[params.tensor(key).length]);
    }
    return out;
  }
}
