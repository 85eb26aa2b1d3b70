package org.sparkquant.core.qat;

import java.util.Locale;

/**
 * An optimizer's update of one parameter tensor, on plain float arrays so that every process computes the same bits:
 * elements are updated independently, in float32 arithmetic as PyTorch's optimizers compute it.
 */
public interface Optimizer {
  /** Number of per-element state arrays (momentum, moments) the optimizer keeps per tensor. */
  int slots();

  /**
   * Updates {@code param} in place.
   *
   * @param param the tensor's values
   * @param grad its gradient (same length)
   * @param state {@link #slots()} arrays of the same length, updated in place (all zero before the first step)
   * @param lr the step's learning rate
   * @param step the 0-based step being applied
   * @param decay whether weight decay applies to this tensor (quantized weights; not biases, norms or scales)
   */
  void update(float[] param, float[] grad, float[][] state, float lr, long step, boolean decay);

  /**
   * Settings of an optimizer.
   *
   * @param kind SGD or AdamW
   * @param momentum SGD's momentum (0 for none)
   * @param beta1 AdamW's first-moment decay
   * @param beta2 AdamW's second-moment decay
   * @param epsilon AdamW's denominator guard
   * @param weightDecay decoupled (AdamW) or L2 (SGD) decay of the quantized weights
   */
  record Config(Kind kind, double momentum, double beta1, double beta2, double epsilon, double weightDecay)
      implements java.io.Serializable {
    public Config {
      java.util.Objects.requireNonNull(kind, "kind");
      if (momentum < 0 || momentum >= 1 || beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) {
        throw new IllegalArgumentException("momentum and betas must lie in [0, 1)");
      }
      if (!(epsilon > 0) || weightDecay < 0) {
        throw new IllegalArgumentException("epsilon must be positive and weight decay >= 0");
      }
    }

    /** AdamW with PyTorch's defaults (betas 0.9 and 0.999, epsilon 1e-8) and no weight decay. */
    public static Config adamW() {
      return new Config(Kind.ADAMW, 0, 0.9, 0.999, 1e-8, 0);
    }

    /** SGD with momentum 0.9 and no weight decay. */
    public static Config sgd() {
      return new Config(Kind.SGD, 0.9, 0.9, 0.999, 1e-8, 0);
    }

    public Config withWeightDecay(double d) {
      return new Config(kind, momentum, beta1, beta2, epsilon, d);
    }

    /** The optimizer these settings describe. */
    public Optimizer newOptimizer() {
      return kind == Kind.SGD ? new Sgd(this) : new AdamW(this);
    }
  }

  /** The optimizers there are. */
  enum Kind {
    SGD,
    ADAMW;

    /** The kind named {@code name} ({@code sgd} or {@code adamw}, case-insensitive). */
    public static Kind parse(String name) {
      for (Kind k : values()) {
        if (k.name().equalsIgnoreCase(name)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown optimizer '" + name + "'; expected sgd or adamw");
    }

    public String cliName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Stochastic gradient descent with momentum, as {@code torch.optim.SGD}: {@code g += wd·p}; {@code b = g} on the
   * first step, else {@code b = μ·b + g}; {@code p -= lr·b}.
   */
  final class Sgd implements Optimizer {
    private final float momentum;
    private final float decay;

    Sgd(Config c) {
      this.momentum = (float) c.momentum();
      this.decay = (float) c.weightDecay();
    }

    @Override
    public int slots() {
      return momentum == 0 ? 0 : 1;
    }

    @Override
    public void update(float[] param, float[] grad, float[][] state, float lr, long step, boolean decayed) {
      float wd = decayed ? decay : 0f;
      float[] buf = momentum == 0 ? null : state[0];
      for (int i = 0; i < param.length; i++) {
        float g = grad[i] + wd * param[i];
        if (buf != null) {
          g = step == 0 ? g : momentum * buf[i] + g;
          buf[i] = g;
        }
        param[i] -= lr * g;
      }
    }
  }

  /**
   * AdamW (Loshchilov and Hutter), as {@code torch.optim.AdamW}: {@code p *= 1 − lr·wd}; moments
   * {@code m = β₁m + (1−β₁)g}, {@code v = β₂v + (1−β₂)g²}; {@code p -= (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)}.
   */
  final class AdamW implements Optimizer {
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float decay;

    AdamW(Config c) {
      this.beta1 = (float) c.beta1();
      this.beta2 = (float) c.beta2();
      this.epsilon = (float) c.epsilon();
      this.decay = (float) c.weightDecay();
    }

    @Override
    public int slots() {
      return 2;
    }

    @Override
    public void update(float[] param, float[] grad, float[][] state, float lr, long step, boolean decayed) {
      long t = step + 1;
      float bias1 = (float) (1 - Math.pow(beta1, t));
      float bias2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, t));
      float stepSize = lr / bias1;
      float shrink = decayed ? 1 - lr * decay : 1f;
      float[] m = state[0];
      float[] v = state[1];
      for (int i = 0; i < param.length; i++) {
        float g = grad[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        float denom = (float) Math.sqrt(v[i]) / bias2Sqrt + epsilon;
        param[i] = param[i] * shrink - stepSize * (m[i] / denom);
      }
    }
  }
}
