package org.sparkquant.core.quantizer;

import java.util.regex.Pattern;
import org.sparkquant.core.graph.Node;

/**
 * A per-layer rule: nodes selected by exact name, op type or a regular expression over names are skipped (kept in
 * float: their weights, and the activations they read, which then get no quantizer on their account) or get
 * their own weight spec. Rules apply in order; the last matching rule wins.
 *
 * @param match what {@code pattern} is compared with
 * @param pattern node name, op type, or regular expression
 * @param weights the override, or null to skip the selected nodes
 */
public record LayerRule(Match match, String pattern, WeightSpec weights) implements java.io.Serializable {
  /** How a rule selects nodes. */
  public enum Match {
    NAME,
    OP_TYPE,
    REGEX
  }

  public LayerRule {
    if (match == Match.REGEX) {
      Pattern.compile(pattern);
    }
  }

  public static LayerRule skip(Match match, String pattern) {
    return new LayerRule(match, pattern, null);
  }

  public boolean skips() {
    return weights == null;
  }

  public boolean matches(Node n) {
    return switch (match) {
      case NAME -> n.name().equals(pattern);
      case OP_TYPE -> n.opType().equals(pattern);
      case REGEX -> Pattern.compile(pattern).matcher(n.name()).matches();
    };
  }

  /** Text for messages, e.g. {@code regex '/encoder/.*'}. */
  public String describe() {
    return match.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + " '" + pattern + "'";
  }
}
