/**
 * Fusion patterns: groups of nodes that an integer runtime executes as one kernel (a convolution or matrix product
 * with its bias, normalization and activation). {@link org.sparkquant.core.fusion.FusionPatterns} is the ordered
 * registry; each {@link org.sparkquant.core.fusion.FusionPattern} finds one kind of
 * {@link org.sparkquant.core.fusion.FusionBlock} from an anchor node. Quantizers go at block boundaries in graph
 * mode and after every op of a block in eager mode.
 */
package org.sparkquant.core.fusion;
