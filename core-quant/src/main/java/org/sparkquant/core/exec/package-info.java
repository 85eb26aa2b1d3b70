/**
 * Runs a {@link org.sparkquant.core.graph.Graph} on DJL's PyTorch engine. Operator kernels live in an
 * {@link org.sparkquant.core.exec.OpRegistry}; listeners observe and transforms replace any value during a run;
 * gradients flow to constants that ask for them.
 */
package org.sparkquant.core.exec;
