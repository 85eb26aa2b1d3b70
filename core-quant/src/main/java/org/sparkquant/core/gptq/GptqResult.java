package org.sparkquant.core.gptq;

import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.ScalarQuantizer;

/**
 * One layer quantized by {@link GptqSolver}. The weight is {@code [rows = output channels, cols = input features]},
 * row-major, in the original column order (act-order undone).
 *
 * @param rows output channels
 * @param cols input features
 * @param weights the dequantized weights {@code dequantize(codes)}, what the exported model computes with
 * @param codes the quantized values, as {@link ScalarQuantizer#quantize} returns them for {@code params}
 * @param params scales and zero points in the layout round-to-nearest uses for the same spec on a {@code [rows,
 *     cols]} weight: per tensor {@code []}, per channel {@code [rows]} on axis 0, per block {@code [rows,
 *     ceil(cols / blockSize)]} with blocks along axis 1
 * @param loss GPTQ's accumulated loss {@code Σ (w − q)² / U[i,i]² / 2} over all weights
 * @param damping the relative damping {@code λ} the factorization succeeded with ({@link GptqConfig#damp()}, or
 *     that times a power of 10 after retries)
 * @param seconds wall time of the solve
 * @param deadColumns input features with {@code H[i,i] = 0} (never non-zero in the data), whose weights became 0
 */
public record GptqResult(
    int rows, int cols, float[] weights, int[] codes, QuantParams params, double loss, double damping, double seconds,
    int deadColumns) {

  public GptqResult {
    weights = weights.clone();
    codes = codes.clone();
  }

  @Override
  public float[] weights() {
    return weights.clone();
  }

  @Override
  public int[] codes() {
    return codes.clone();
  }
}
