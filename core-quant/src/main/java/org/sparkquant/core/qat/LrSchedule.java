package org.sparkquant.core.qat;

/**
 * The learning rate of each optimizer step: a linear warmup from {@code base / warmupSteps} to {@code base} over the
 * first {@code warmupSteps} steps, then constant, or a cosine decay from {@code base} to 0 at {@code totalSteps}.
 *
 * @param base the peak learning rate
 * @param warmupSteps steps of linear warmup (0 for none)
 * @param totalSteps steps of the whole run (the cosine reaches 0 there)
 * @param kind constant or cosine after the warmup
 */
public record LrSchedule(double base, long warmupSteps, long totalSteps, Kind kind)
    implements java.io.Serializable {
  /** What follows the warmup. */
  public enum Kind {
    CONSTANT,
    COSINE;

    /** The kind named {@code name} ({@code constant} or {@code cosine}, case-insensitive). */
    public static Kind parse(String name) {
      for (Kind k : values()) {
        if (k.name().equalsIgnoreCase(name)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown schedule '" + name + "'; expected constant or cosine");
    }
  }

  public LrSchedule {
    if (!(base > 0) || Double.isInfinite(base)) {
      throw new IllegalArgumentException("learning rate must be positive and finite, found " + base);
    }
    if (warmupSteps < 0 || totalSteps < 1) {
      throw new IllegalArgumentException(
          "warmup steps must be >= 0 and total steps >= 1, found " + warmupSteps + " and " + totalSteps);
    }
    java.util.Objects.requireNonNull(kind, "kind");
  }

  /** The rate of step {@code step} (0-based). */
  public double at(long step) {
    if (step < warmupSteps) {
      return base * (step + 1) / warmupSteps;
    }
    if (kind == Kind.CONSTANT || totalSteps <= warmupSteps) {
      return base;
    }
    double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
    return base * 0.5 * (1 + Math.cos(Math.PI * progress));
  }
}
