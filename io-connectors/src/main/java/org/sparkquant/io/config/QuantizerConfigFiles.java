package org.sparkquant.io.config;

import static org.sparkquant.io.config.YamlFields.enumValue;
import static org.sparkquant.io.config.YamlFields.firstLine;
import static org.sparkquant.io.config.YamlFields.onlyKeys;
import static org.sparkquant.io.config.YamlFields.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.observer.NonFinitePolicy;
import org.sparkquant.core.quantizer.ActivationSpec;
import org.sparkquant.core.quantizer.LayerRule;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightSpec;
import org.sparkquant.io.fs.FileStore;

/**
 * Reads and writes {@link QuantizerConfig} as YAML or JSON (JSON is YAML, so one reader serves both):
 *
 * <pre>
 * version: 1
 * preset: w4g32            # the starting point; the keys below override it
 * mode: graph              # graph | eager
 * weights: {type: INT4, scheme: SYMMETRIC, layout: PER_BLOCK, block_size: 32}
 * activations: {type: UINT8, scheme: ASYMMETRIC, observer: percentile, percentile: 99.99}   # or: none
 *                          # non_finite: error | skip | clip (NaN/infinite activations; default error)
 * rules:                   # in order; the last matching rule wins
 *   - {match: regex, pattern: "/pooler/.*", action: skip}
 *   - {match: op_type, pattern: Gemm, weights: {type: INT8, layout: PER_CHANNEL}}
 * data: {...}              # optional: calibration data, read by DataConfigFiles
 * </pre>
 *
 * <p>Unknown keys, unknown versions and invalid values are errors that name the file, the key path and what was
 * expected.
 */
public final class QuantizerConfigFiles {
  /** The format version this reader understands. */
  public static final int VERSION = 1;

  private static final ObjectMapper YAML = YamlFields.YAML;

  private QuantizerConfigFiles() {}

  /** Reads a local config file. */
  public static QuantizerConfig read(Path file) {
    return read(FileStore.defaults(), file.toString(), null);
  }

  /**
   * Reads a config file whose preset is replaced by {@code preset} (a command-line flag wins over the file), or
   * that keeps its own when {@code preset} is null: the file's mode, weights, activations and rules apply on top.
   */
  public static QuantizerConfig read(FileStore store, String location, String preset) {
    return parse(YamlFields.readFile(store, location), YamlFields.where(location), preset);
  }

  /** Parses a config from YAML or JSON text; {@code where} names the source in errors. */
  public static QuantizerConfig parse(String text, String where) {
    return parse(YamlFields.readText(text, where), where, null);
  }

  private static QuantizerConfig parse(JsonNode root, String where, String presetOverride) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(where + ": expected a mapping at the top level");
    }
    onlyKeys(root, where, "", Set.of("version", "preset", "mode", "weights", "activations", "rules", "data"));
    int version = root.path("version").asInt(-1);
    if (version != VERSION) {
      throw new IllegalArgumentException(where + ": 'version' must be " + VERSION + ", found " + root.get("version"));
    }
    String preset = presetOverride != null ? presetOverride : text(root, "preset", where, "");
    QuantizerConfig config;
    try {
      config = QuantizerConfig.preset(preset);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": 'preset': " + e.getMessage());
    }
    if (root.has("mode")) {
      config = config.withMode(enumValue(QuantizerConfig.ExecutionMode.class, text(root, "mode", where, ""),
          where, "mode"));
    }
    if (root.has("weights")) {
      config = new QuantizerConfig(config.preset(), weights(root.get("weights"), config.weights(), where, "weights"),
          config.activations(), config.rules(), config.mode());
    }
    if (root.has("activations")) {
      JsonNode a = root.get("activations");
      config = config.withActivations(a.isTextual() && a.asText().equals("none") ? null
          : activations(a, config.activations(), where, "activations"));
    }
    List<LayerRule> rules = new ArrayList<>();
    JsonNode rs = root.get("rules");
    if (rs != null) {
      if (!rs.isArray()) {
        throw new IllegalArgumentException(where + ": 'rules' must be a list");
      }
      for (int i = 0; i < rs.size(); i++) {
        rules.add(rule(rs.get(i), config.weights(), where, "rules[" + i + "]"));
      }
    }
    return config.withRules(rules);
  }

  private static LayerRule rule(JsonNode n, WeightSpec base, String where, String path) {
    if (!n.isObject()) {
      throw new IllegalArgumentException(where + ": '" + path + "' must be a mapping");
    }
    onlyKeys(n, where, path + ".", Set.of("match", "pattern", "action", "weights"));
    LayerRule.Match match = enumValue(LayerRule.Match.class, text(n, "match", where, path + "."), where, path + ".match");
    String pattern = text(n, "pattern", where, path + ".");
    String action = n.has("action") ? text(n, "action", where, path + ".") : "override";
    try {
      if (action.equals("skip")) {
        if (n.has("weights")) {
          throw new IllegalArgumentException("a skip rule takes no 'weights'");
        }
        return LayerRule.skip(match, pattern);
      }
      if (!action.equals("override")) {
        throw new IllegalArgumentException("'action' must be skip or override, found '" + action + "'");
      }
      if (!n.has("weights")) {
        throw new IllegalArgumentException("an override rule needs 'weights'");
      }
      return new LayerRule(match, pattern, weights(n.get("weights"), base, where, path + ".weights"));
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": '" + path + "': "
          + e.getMessage());
    }
  }

  private static WeightSpec weights(JsonNode n, WeightSpec base, String where, String path) {
    if (!n.isObject()) {
      throw new IllegalArgumentException(where + ": '" + path + "' must be a mapping");
    }
    onlyKeys(n, where, path + ".", Set.of("type", "scheme", "layout", "block_size"));
    QuantType type = n.has("type") ? enumValue(QuantType.class, text(n, "type", where, path + "."), where,
        path + ".type") : base.type();
    Scheme scheme = n.has("scheme") ? enumValue(Scheme.class, text(n, "scheme", where, path + "."), where,
        path + ".scheme") : base.scheme();
    WeightSpec.Layout layout = n.has("layout") ? enumValue(WeightSpec.Layout.class, text(n, "layout", where,
        path + "."), where, path + ".layout") : base.layout();
    int block = layout != WeightSpec.Layout.PER_BLOCK ? 0
        : n.has("block_size") ? n.get("block_size").asInt(-1) : base.blockSize();
    try {
      return new WeightSpec(type, scheme, layout, block);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": '" + path + "': " + e.getMessage());
    }
  }

  private static ActivationSpec activations(JsonNode n, ActivationSpec base, String where, String path) {
    if (!n.isObject()) {
      throw new IllegalArgumentException(where + ": '" + path + "' must be a mapping or 'none'");
    }
    onlyKeys(n, where, path + ".", Set.of("type", "scheme", "observer", "percentile", "non_finite"));
    QuantType type = n.has("type") ? enumValue(QuantType.class, text(n, "type", where, path + "."), where,
        path + ".type") : base == null ? QuantType.UINT8 : base.type();
    ActivationSpec start = base != null && base.type() == type ? base : ActivationSpec.minMax(type);
    Scheme scheme = n.has("scheme") ? enumValue(Scheme.class, text(n, "scheme", where, path + "."), where,
        path + ".scheme") : start.scheme();
    ActivationSpec.ObserverKind observer = n.has("observer") ? enumValue(ActivationSpec.ObserverKind.class,
        text(n, "observer", where, path + "."), where, path + ".observer") : start.observer();
    double percentile = n.has("percentile") ? n.get("percentile").asDouble(-1) : 99.999;
    NonFinitePolicy nonFinite = n.has("non_finite") ? enumValue(NonFinitePolicy.class, text(n, "non_finite", where,
        path + "."), where, path + ".non_finite") : start.nonFinite();
    try {
      return new ActivationSpec(type, scheme, observer, percentile, nonFinite);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": '" + path + "': " + e.getMessage());
    }
  }

  /** The YAML form of {@code config}; {@link #parse} reads it back to an equal config. */
  public static String toYaml(QuantizerConfig config) {
    ObjectNode root = YAML.createObjectNode();
    root.put("version", VERSION);
    root.put("preset", config.preset());
    root.put("mode", config.mode().name().toLowerCase(Locale.ROOT));
    root.set("weights", weightsNode(config.weights()));
    if (config.activations() == null) {
      root.put("activations", "none");
    } else {
      ObjectNode a = root.putObject("activations");
      a.put("type", config.activations().type().name());
      a.put("scheme", config.activations().scheme().name());
      a.put("observer", config.activations().observer().name().toLowerCase(Locale.ROOT));
      a.put("percentile", config.activations().percentile());
      a.put("non_finite", config.activations().nonFinite().name().toLowerCase(Locale.ROOT));
    }
    ArrayNode rules = root.putArray("rules");
    for (LayerRule r : config.rules()) {
      ObjectNode rn = rules.addObject();
      rn.put("match", r.match().name().toLowerCase(Locale.ROOT));
      rn.put("pattern", r.pattern());
      rn.put("action", r.skips() ? "skip" : "override");
      if (!r.skips()) {
        rn.set("weights", weightsNode(r.weights()));
      }
    }
    try {
      return YAML.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode weightsNode(WeightSpec w) {
    ObjectNode n = YAML.createObjectNode();
    n.put("type", w.type().name());
    n.put("scheme", w.scheme().name());
    n.put("layout", w.layout().name());
    if (w.layout() == WeightSpec.Layout.PER_BLOCK) {
      n.put("block_size", w.blockSize());
    }
    return n;
  }
}
