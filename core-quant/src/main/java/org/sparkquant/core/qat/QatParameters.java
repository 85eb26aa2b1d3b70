package org.sparkquant.core.qat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.numerics.QuantParams;

/**
 * What a worker computes one step's gradients with, made by {@link QatTrainer#parameters} from the state on the
 * driver: the trained tensors, the quantization parameters of the step, and whether the observers still gather
 * statistics. Immutable by contract: the arrays are shared, not copied, and nobody writes them.
 *
 * @param step the 0-based step
 * @param tensors trained values by constant name, learned scales by {@link Trainables#weightScaleKey} and
 *     {@link Trainables#activationScaleKey}
 * @param trained keys of the tensors that receive gradients this step (BatchNorm parameters leave after their freeze)
 * @param weightParams per quantized weight, the step's parameters (with learned scales: their zero points)
 * @param activationParams per activation group with statistics, the step's parameters (with learned scales: their
 *     zero points)
 * @param observing whether activation observers gather statistics this step
 */
public record QatParameters(long step, Map<String, float[]> tensors, Set<String> trained,
    Map<String, QuantParams> weightParams, Map<String, QuantParams> activationParams, boolean observing) {
  public QatParameters {
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    trained = Collections.unmodifiableSet(new LinkedHashSet<>(trained));
    weightParams = Collections.unmodifiableMap(new LinkedHashMap<>(weightParams));
    activationParams = Collections.unmodifiableMap(new LinkedHashMap<>(activationParams));
  }

  /** The tensor with key {@code key}. */
  public float[] tensor(String key) {
    float[] t = tensors.get(key);
    if (t == null) {
      throw new IllegalArgumentException("no trained tensor '" + key + "'");
    }
    return t;
  }
}
