/**
 * Checks that the engine computes the heavy kernels of a model right on the CPU at hand, before real work.
 *
 * <p>{@link org.sparkquant.core.exec.check.ReferenceKernel}s compute a node's output in plain Java (double
 * accumulation, no vector instructions, no native code) at chosen output positions.
 * {@link org.sparkquant.core.exec.check.KernelSelfCheck} runs every distinct heavy-kernel configuration of a model
 * (operator, attributes, input shapes at the size the work uses) once through the engine on random inputs and the
 * model's own weights, compares sampled outputs with the reference, and refuses with a one-line error naming the
 * node and the CPU when they disagree. Each configuration is checked once per JVM.
 *
 * <p>Why: vectorized native kernels pick code paths by CPU class, and a path nobody tested can be wrong; a model
 * calibrated, solved or trained on wrong activations would look fine and be useless.
 */
package org.sparkquant.core.exec.check;
