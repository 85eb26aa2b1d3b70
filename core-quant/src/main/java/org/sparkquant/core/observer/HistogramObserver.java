package org.sparkquant.core.observer;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.numerics.Scheme;

/**
 * Histogram observer with percentile, entropy (KL) or MSE range selection.
 *
 * <p><b>Exact merging by design.</b> Each channel's histogram covers {@code [-2^k, 2^k)} with {@code bins} (a power
 * of two) equal bins, so every bin width is a power of two and a value's bin {@code floor(x·2^(log2(bins)−1−k)) +
 * bins/2} is computed exactly. When data exceeds the range, {@code k} grows and bins merge in pairs
 * ({@code floor(i/2)} relative to the centre), which gives exactly the bins the value would have had if counted at the
 * larger range from the start. Counts are integers. Hence a histogram does not depend on how data was split into
 * batches or shards or in which order shards are merged: merging rescales both sides to the larger {@code k} and adds
 * counts. Exact minima and maxima are kept beside the counts.
 */
public final class HistogramObserver implements Observer<HistogramObserver.Stats> {
  /** How the range is chosen from the histogram. */
  public enum Method {
    /** The range holding {@code percentile}% of the values (two-sided for asymmetric schemes). */
    PERCENTILE,
    /**
     * The clipping threshold minimizing the KL divergence between the clipped and the quantized distribution.
     * Thresholds start at one bin per quantization level (128 for int8), so the histogram needs enough bins for the
     * data's bulk to span more than that: 4096 or more when rare outliers stretch the range.
     */
    ENTROPY,
    /** The clipping range minimizing the expected squared quantization error. */
    MSE
  }

  /** Exponent of an empty channel. */
  static final int EMPTY = Integer.MIN_VALUE;

  /** Smallest exponent used, so scales stay normal floats for data that is (almost) all zero. */
  static final int MIN_EXPONENT = -64;

  private final RangeConfig config;
  private final Method method;
  private final int bins;
  private final int log2Bins;
  private final double percentile;

  /**
   * @param bins number of bins, a power of two of at least 256 (peers use 2048)
   * @param percentile for {@link Method#PERCENTILE}, e.g. 99.999
   */
  public HistogramObserver(RangeConfig config, Method method, int bins, double percentile) {
    if (bins < 256 || Integer.bitCount(bins) != 1) {
      throw new IllegalArgumentException("bins must be a power of two of at least 256, found " + bins);
    }
    if (!(percentile > 50 && percentile <= 100)) {
      throw new IllegalArgumentException("percentile must be in (50, 100], found " + percentile);
    }
    this.config = config;
    this.method = method;
    this.bins = bins;
    this.log2Bins = Integer.numberOfTrailingZeros(bins);
    this.percentile = percentile;
  }

  /** Per channel: range exponent, bin counts ({@code channels × bins}, row-major), exact min and max. */
  public static final class Stats implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    int bins;
    int[] exponent = new int[0];
    long[] counts = new long[0];
    float[] min = new float[0];
    float[] max = new float[0];

    public int[] exponent() {
      return exponent.clone();
    }

    public long[] counts() {
      return counts.clone();
    }

    public float[] min() {
      return min.clone();
    }

    public float[] max() {
      return max.clone();
    }

    private void init(int channels, int bins) {
      this.bins = bins;
      exponent = new int[channels];
      Arrays.fill(exponent, EMPTY);
      counts = new long[channels * bins];
      min = new float[channels];
      max = new float[channels];
      Arrays.fill(min, Float.POSITIVE_INFINITY);
      Arrays.fill(max, Float.NEGATIVE_INFINITY);
    }

    private Stats copy() {
      Stats s = new Stats();
      s.bins = bins;
      s.exponent = exponent.clone();
      s.counts = counts.clone();
      s.min = min.clone();
      s.max = max.clone();
      return s;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Stats s && bins == s.bins && Arrays.equals(exponent, s.exponent)
          && Arrays.equals(counts, s.counts) && Arrays.equals(min, s.min) && Arrays.equals(max, s.max);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(counts);
    }
  }

  @Override
  public Stats newStats() {
    return new Stats();
  }

  @Override
  public void observe(Stats s, String tensor, NDArray x) {
    NDArray data = config.byChannel(x);
    int channels = (int) data.getShape().get(0);
    float[] v = data.toFloatArray();
    int per = channels == 0 ? 0 : v.length / channels;
    if (s.exponent.length == 0) {
      s.init(channels, bins);
    } else if (s.exponent.length != channels) {
      throw new IllegalArgumentException(
          "tensor '" + tensor + "': channel count changed from " + s.exponent.length + " to " + channels);
    }
    for (int c = 0; c < channels; c++) {
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int i = c * per; i < (c + 1) * per; i++) {
        float f = config.filter(tensor, v[i]);
        v[i] = f;
        if (f == f) {
          lo = Math.min(lo, f);
          hi = Math.max(hi, f);
        }
      }
      if (lo > hi) {
        continue;
      }
      s.min[c] = Math.min(s.min[c], lo);
      s.max[c] = Math.max(s.max[c], hi);
      int k = exponentFor(Math.max(-lo, hi));
      if (s.exponent[c] == EMPTY) {
        s.exponent[c] = k;
      } else if (k > s.exponent[c]) {
        rescale(s, c, k);
      }
      int shift = log2Bins - 1 - s.exponent[c];
      int base = c * bins;
      for (int i = c * per; i < (c + 1) * per; i++) {
        if (v[i] == v[i]) {
          s.counts[base + bin(v[i], shift)]++;
        }
      }
    }
  }

  /** The smallest {@code k} with {@code amax < 2^k}. */
  static int exponentFor(float amax) {
    return amax == 0 ? MIN_EXPONENT : Math.max(MIN_EXPONENT, Math.getExponent(amax) + 1);
  }

  private int bin(float v, int shift) {
    int i = (int) Math.floor(Math.scalb((double) v, shift)) + bins / 2;
    return Math.max(0, Math.min(bins - 1, i));
  }

  /** Grows channel {@code c}'s range to {@code 2^k}, merging bins in pairs once per doubling. */
  private void rescale(Stats s, int c, int k) {
    int d = k - s.exponent[c];
    long[] old = Arrays.copyOfRange(s.counts, c * bins, (c + 1) * bins);
    Arrays.fill(s.counts, c * bins, (c + 1) * bins, 0);
    int half = bins / 2;
    for (int i = 0; i < bins; i++) {
      int rel = i - half;
      int moved = d >= 31 ? (rel < 0 ? -1 : 0) : rel >> d;
      s.counts[c * bins + moved + half] += old[i];
    }
    s.exponent[c] = k;
  }

  @Override
  public Stats merge(Stats a, Stats b) {
    if (a.exponent.length == 0 || b.exponent.length == 0) {
      return (a.exponent.length == 0 ? b : a).copy();
    }
    if (a.exponent.length != b.exponent.length || a.bins != b.bins) {
      throw new IllegalArgumentException("histograms of different layouts cannot be merged");
    }
    Stats out = a.copy();
    Stats other = b.copy();
    for (int c = 0; c < out.exponent.length; c++) {
      if (other.exponent[c] == EMPTY) {
        continue;
      }
      if (out.exponent[c] == EMPTY) {
        out.exponent[c] = other.exponent[c];
      }
      int k = Math.max(out.exponent[c], other.exponent[c]);
      if (out.exponent[c] < k) {
        rescale(out, c, k);
      }
      if (other.exponent[c] < k) {
        rescale(other, c, k);
      }
      for (int i = c * bins; i < (c + 1) * bins; i++) {
        out.counts[i] += other.counts[i];
      }
      out.min[c] = Math.min(out.min[c], other.min[c]);
      out.max[c] = Math.max(out.max[c], other.max[c]);
    }
    return out;
  }

  @Override
  public QuantParams params(Stats s, long[] shape) {
    if (s.exponent.length == 0) {
      throw new IllegalStateException("no data was observed");
    }
    int channels = s.exponent.length;
    float[] lo = new float[channels];
    float[] hi = new float[channels];
    for (int c = 0; c < channels; c++) {
      if (s.exponent[c] == EMPTY) {
        continue;
      }
      long[] h = Arrays.copyOfRange(s.counts, c * bins, (c + 1) * bins);
      double width = Math.scalb(1.0, s.exponent[c] + 1 - log2Bins);
      float[] range =
          switch (method) {
            case PERCENTILE -> percentileRange(h, width, s.min[c], s.max[c]);
            case ENTROPY -> clampTo(entropyThreshold(h, width), s.min[c], s.max[c]);
            case MSE -> mseRange(h, width, s.min[c], s.max[c]);
          };
      lo[c] = range[0];
      hi[c] = range[1];
    }
    return config.params(shape, lo, hi);
  }

  private boolean symmetric() {
    return config.scheme() != Scheme.ASYMMETRIC;
  }

  /** Magnitude histogram: entry j counts values with {@code j·w ≤ |x| < (j+1)·w}. */
  private long[] folded(long[] h) {
    int half = bins / 2;
    long[] f = new long[half];
    for (int j = 0; j < half; j++) {
      f[j] = h[half + j] + h[half - 1 - j];
    }
    return f;
  }

  private static float[] clampTo(double amax, float min, float max) {
    return new float[] {(float) Math.max(min, -amax), (float) Math.min(max, amax)};
  }

  private float[] percentileRange(long[] h, double width, float min, float max) {
    long total = Arrays.stream(h).sum();
    double fraction = percentile / 100.0;
    if (symmetric()) {
      long[] f = folded(h);
      long cum = 0;
      for (int j = 0; j < f.length; j++) {
        cum += f[j];
        if (cum >= fraction * total) {
          return clampTo((j + 1) * width, min, max);
        }
      }
      return new float[] {min, max};
    }
    int half = bins / 2;
    long cum = 0;
    double lo = min;
    double hi = max;
    boolean loSet = false;
    for (int i = 0; i < bins; i++) {
      cum += h[i];
      if (!loSet && cum > (1 - fraction) * total) {
        lo = (i - half) * width;
        loSet = true;
      }
      if (cum >= fraction * total) {
        hi = (i - half + 1) * width;
        break;
      }
    }
    return new float[] {(float) Math.max(min, lo), (float) Math.min(max, hi)};
  }

  /**
   * TensorRT-style entropy calibration on the magnitude histogram: for each candidate threshold, the clipped
   * distribution P (outliers added to its last bin) is compared with Q, the histogram below the threshold quantized
   * to as many levels as the type has on one side (each level's count spread over its non-empty bins). Q is built
   * without the outliers, so clipping costs what it moves into the last bin; the threshold with the smallest
   * KL(P‖Q) wins.
   */
  private double entropyThreshold(long[] h, double width) {
    long[] f = folded(h);
    int levels = Math.max(2, (config.type().max() - config.type().min() + 1) / 2);
    int last = f.length;
    while (last > 0 && f[last - 1] == 0) {
      last--;
    }
    if (last <= levels) {
      return last * width;
    }
    double best = Double.POSITIVE_INFINITY;
    int bestI = last;
    int stride = Math.max(1, (last - levels) / 512);
    for (int i = levels; i <= last; i += stride) {
      double[] p = new double[i];
      for (int j = 0; j < i; j++) {
        p[j] = f[j];
      }
      for (int j = i; j < f.length; j++) {
        p[i - 1] += f[j];
      }
      double[] q = new double[i];
      for (int g = 0; g < levels; g++) {
        int start = (int) ((long) g * i / levels);
        int stop = (int) ((long) (g + 1) * i / levels);
        double sum = 0;
        int nonzero = 0;
        for (int j = start; j < stop; j++) {
          sum += f[j];
          nonzero += p[j] > 0 ? 1 : 0;
        }
        for (int j = start; j < stop; j++) {
          q[j] = p[j] > 0 ? sum / nonzero : 0;
        }
      }
      double kl = klDivergence(p, q);
      if (kl < best) {
        best = kl;
        bestI = i;
      }
    }
    return bestI * width;
  }

  /** KL(P‖Q) of the normalized counts; a bin where P has mass and Q none costs as if Q held a tenth of a count. */
  private static double klDivergence(double[] p, double[] q) {
    double ps = 0;
    double qs = 0;
    for (int j = 0; j < p.length; j++) {
      ps += p[j];
      qs += q[j];
    }
    double kl = 0;
    for (int j = 0; j < p.length; j++) {
      if (p[j] > 0) {
        kl += p[j] / ps * Math.log((p[j] / ps) / (Math.max(q[j], 0.1) / qs));
      }
    }
    return kl;
  }

  /**
   * Candidates shrink the observed range geometrically (3% per step) down to 1% of it; the one with the least
   * expected squared error over the histogram's bin centres wins.
   */
  private float[] mseRange(long[] h, double width, float min, float max) {
    int half = bins / 2;
    float[] centers = new float[bins];
    for (int i = 0; i < bins; i++) {
      centers[i] = (float) ((i - half + 0.5) * width);
    }
    float[] best = {min, max};
    double bestErr = Double.POSITIVE_INFINITY;
    long[] one = {bins};
    for (int step = 0; step <= 150; step++) {
      float r = (float) Math.pow(0.97, step);
      float lo = min * r;
      float hi = max * r;
      QuantParams p = config.scheme().params(
          config.type(), Granularity.perTensor(), new long[0], new float[] {lo}, new float[] {hi});
      float[] fq = ScalarQuantizer.fakeQuantize(centers, one, p);
      double err = 0;
      for (int i = 0; i < bins; i++) {
        if (h[i] != 0) {
          double d = centers[i] - fq[i];
          err += h[i] * d * d;
        }
      }
      if (err < bestErr) {
        bestErr = err;
        best = new float[] {lo, hi};
      }
    }
    return best;
  }

  @Override
  public float[] observedRange(Stats s) {
    return Observer.overall(s.min, s.max);
  }

  /** The mass of the bins that lie wholly outside the representable interval, over all channels. */
  @Override
  public double clippedFraction(Stats s, QuantParams p) {
    double[] r = Observer.representable(p);
    long total = 0;
    long clipped = 0;
    for (int c = 0; c < s.exponent.length; c++) {
      if (s.exponent[c] == EMPTY) {
        continue;
      }
      double width = Math.scalb(1.0, s.exponent[c] + 1 - log2Bins);
      for (int i = 0; i < bins; i++) {
        long n = s.counts[c * bins + i];
        double lo = (i - bins / 2) * width;
        total += n;
        if (lo + width <= r[0] || lo > r[1]) {
          clipped += n;
        }
      }
    }
    return total == 0 ? 0 : (double) clipped / total;
  }

  @Override
  public boolean exactMerge() {
    return true;
  }
}
