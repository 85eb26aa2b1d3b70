/**
 * Quantization-aware training: a quantized model whose float master weights (and biases and normalization
 * parameters) are trained through fake quantization, so that the weights learn to absorb their rounding error.
 *
 * <ul>
 *   <li>{@link org.sparkquant.core.qat.QatModel} runs on a worker: {@link
 *       org.sparkquant.core.qat.QatModel#gradients} computes the gradients of one micro-batch under the step's
 *       {@link org.sparkquant.core.qat.QatParameters} (weights fake-quantized with straight-through or LSQ gradients,
 *       activation quantizers observing until frozen), distilled from the FP32 model or with labels.
 *   <li>{@link org.sparkquant.core.qat.QatTrainer} runs on the driver: it sums micro-batch gradients along a fixed
 *       tree (so any split of the micro-batches between workers gives the same bits), applies one
 *       {@link org.sparkquant.core.qat.Optimizer} update with the {@link org.sparkquant.core.qat.LrSchedule}'s
 *       rate, and merges the activation statistics, giving the next immutable {@link
 *       org.sparkquant.core.qat.QatState}.
 *   <li>{@link org.sparkquant.core.qat.QatCodec} writes states, parameters and gradients as bytes for broadcasts,
 *       task results and checkpoints; {@link org.sparkquant.core.qat.QatModel#finalize} exports the trained model
 *       through the same QDQ export as the other quantizers.
 * </ul>
 */
package org.sparkquant.core.qat;
