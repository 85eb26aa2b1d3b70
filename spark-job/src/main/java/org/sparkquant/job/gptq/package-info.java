/**
 * Distributed GPTQ: the model is pushed through once, cut at each layer group's input. Partitions keep their
 * batches' values at the current cut (persisted, checkpointed every few groups), return partial Hessian sums as tiles
 * reduced by key along a fixed tree, and advance to the next cut with the weights the driver solved. The Hessians are
 * bitwise those of one process, for any partitioning.
 */
package org.sparkquant.job.gptq;
