package org.sparkquant.core.fusion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;

/**
 * An ordered registry of fusion patterns. At each anchor the longest match wins, and among matches of equal length
 * the pattern listed first; {@link #blocks(Graph)} covers a graph with non-overlapping blocks.
 *
 * <p>The {@linkplain #defaults() defaults} anchor at Conv, ConvTranspose, Gemm and MatMul: the weighted op, then up
 * to {@value Chains#MAX_AFFINE_STEPS} scale-and-shift nodes (bias Add or Mul with a constant operand,
 * BatchNormalization where it was not folded), then optionally an activation. These are the blocks integer runtimes
 * fuse into one kernel, and the ones the PaddleOCR and MiniLM models contain.
 */
public final class FusionPatterns {
  private final List<FusionPattern> patterns;

  private FusionPatterns(List<FusionPattern> patterns) {
    Set<String> names = new HashSet<>();
    for (FusionPattern p : patterns) {
      if (!names.add(p.name())) {
        throw new IllegalArgumentException("fusion pattern name '" + p.name() + "' is used twice; names must be "
            + "unique within a registry");
      }
    }
    this.patterns = List.copyOf(patterns);
  }

  /** A registry of exactly {@code patterns}, in this order. */
  public static FusionPatterns of(List<FusionPattern> patterns) {
    return new FusionPatterns(patterns);
  }

  /**
   * The default patterns, in order: HardSwish spelled {@code x * Clip(x + 3, 0, 6) / 6} and {@code x *
   * HardSigmoid(x)}, Relu6 spelled {@code Clip(0, 6)}, the activations Relu, Clip, HardSigmoid, HardSwish,
   * LeakyRelu and Sigmoid, each after a weighted op with its bias and normalization, and last the weighted op alone.
   */
  public static FusionPatterns defaults() {
    return new FusionPatterns(List.of(
        new WeightedHardSwishClip(),
        new WeightedHardSwishMul(),
        new WeightedRelu6(),
        new WeightedActivation("Relu"),
        new WeightedActivation("Clip"),
        new WeightedActivation("HardSigmoid"),
        new WeightedActivation("HardSwish"),
        new WeightedActivation("LeakyRelu"),
        new WeightedActivation("Sigmoid"),
        new WeightedOp()));
  }

  /** This registry with {@code extra} patterns listed first, so they win ties with the ones already here. */
  public FusionPatterns with(FusionPattern... extra) {
    List<FusionPattern> all = new ArrayList<>(List.of(extra));
    all.addAll(patterns);
    return new FusionPatterns(all);
  }

  /** The patterns in the order they are tried. */
  public List<FusionPattern> patterns() {
    return patterns;
  }

  /** The best block at {@code anchor}: the longest match, the first pattern among equally long ones. */
  public Optional<FusionBlock> match(Graph graph, Node anchor) {
    FusionBlock best = null;
    for (FusionPattern p : patterns) {
      Optional<FusionBlock> m = p.match(graph, anchor);
      if (m.isPresent() && m.get().anchor().name().equals(anchor.name())
          && (best == null || m.get().nodes().size() > best.nodes().size())) {
        best = m.get();
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Non-overlapping blocks of {@code graph}, trying anchors in topological order; a match that would take a node
   * already in an earlier block is dropped.
   */
  public List<FusionBlock> blocks(Graph graph) {
    List<FusionBlock> blocks = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (Node n : graph.nodes()) {
      if (taken.contains(n.name())) {
        continue;
      }
      Optional<FusionBlock> m = match(graph, n);
      if (m.isPresent() && m.get().nodes().stream().noneMatch(b -> taken.contains(b.name()))) {
        blocks.add(m.get());
        m.get().nodes().forEach(b -> taken.add(b.name()));
      }
    }
    return blocks;
  }
}
