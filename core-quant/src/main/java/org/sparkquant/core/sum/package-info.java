/**
 * Sums whose floating-point result does not depend on how the work is split: {@link
 * org.sparkquant.core.sum.FixedTreeSum} adds per-batch statistics (GPTQ Hessians, QAT gradients) along one fixed tree,
 * so a distributed run has the same bits for any number of tasks. Plain Java, no dependencies.
 */
package org.sparkquant.core.sum;
