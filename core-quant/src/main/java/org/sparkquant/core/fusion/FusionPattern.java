package org.sparkquant.core.fusion;

import java.util.Optional;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * One kind of fused block, found from its first node. Adding a pattern is one class implementing this interface and
 * one entry in {@link FusionPatterns#defaults()} (or {@link FusionPatterns#with(FusionPattern...)} for a caller's
 * own patterns). Implementations build their result with {@link FusionBlock#of(Graph, String, java.util.List)}, which
 * rejects node groups whose intermediate values escape the block; {@link Chains} has the usual steps.
 */
public interface FusionPattern {
  /** Short name for reports and {@code inspect}, e.g. {@code weighted-relu}; unique within a registry. */
  String name();

  /**
   * The block this pattern forms with {@code anchor} as its first node, or empty when the nodes after {@code anchor}
   * do not have this shape (or an intermediate value is used outside the block).
   */
  Optional<FusionBlock> match(Graph graph, Node anchor);
}
