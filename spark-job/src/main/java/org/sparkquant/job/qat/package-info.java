/**
 * Distributed quantization-aware training ({@code sparkquant qat}): synchronous data parallelism over
 * {@link org.sparkquant.core.qat}. Each step is one barrier stage with a training task per executor JVM; the tasks
 * compute the gradients of their share of the step's micro-batches under the step's broadcast parameters, the driver
 * sums them along a fixed tree, applies one optimizer update and broadcasts the next parameters. Checkpoints on a
 * Hadoop file system let a run resume where it stopped with the bits of an uninterrupted run.
 */
package org.sparkquant.job.qat;
