/**
 * GPTQ (Frantar et al., 2022): weight quantization that compensates each column's rounding error on the columns not
 * yet quantized, using second-order statistics of the layer's inputs.
 *
 * <ul>
 *   <li>{@link org.sparkquant.core.gptq.HessianAccumulator} gathers {@code S = Σ x xᵀ} and the row count from
 *       calibration inputs (padding rows left out), merges partials from shards, and gives {@code H = 2S/n};
 *       {@link org.sparkquant.core.gptq.ConvUnfold} turns a convolution's input into the rows its weight sees.
 *   <li>{@link org.sparkquant.core.gptq.GptqSolver} quantizes one layer's weight {@code [rows = outputs, cols =
 *       inputs]} against {@code H} with a {@link org.sparkquant.core.gptq.GptqConfig}, giving a
 *       {@link org.sparkquant.core.gptq.GptqResult}: dequantized weights, codes and parameters in the same layout as
 *       round-to-nearest weight quantization, and the loss, damping and time of the solve.
 * </ul>
 *
 * <p>Heavy work runs on the engine: {@code xᵀx} in float64, the Cholesky factorization and triangular inverse
 * (blocked, with the large products as engine matrix multiplies in float64) and the lazy block updates of the weights
 * (float32, as the reference implementations compute them).
 */
package org.sparkquant.core.gptq;
