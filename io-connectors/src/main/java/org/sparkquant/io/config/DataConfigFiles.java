package org.sparkquant.io.config;

import static org.sparkquant.io.config.YamlFields.enumValue;
import static org.sparkquant.io.config.YamlFields.onlyKeys;
import static org.sparkquant.io.config.YamlFields.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.sparkquant.io.data.Column;
import org.sparkquant.io.data.ColumnType;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.DataFormat;
import org.sparkquant.io.data.Images;
import org.sparkquant.io.data.Labels;
import org.sparkquant.io.fs.FileStore;

/**
 * Reads the optional {@code data:} section of a config file (the file {@link QuantizerConfigFiles} reads) into a
 * {@link DataConfig}. Keys given override the defaults passed in; keys left out keep them:
 *
 * <pre>
 * data:
 *   format: text              # text | jsonl | images | parquet | arrow
 *   field: text               # jsonl: the string field holding the text
 *   max_length: 128           # text, jsonl: longest token sequence (batches pad to their longest sample)
 *   images:                   # images
 *     input: x                # model input; default: the model's only float input
 *     resize: fixed           # fixed (height, width) | height_keep_aspect (height, max_width)
 *     height: 224
 *     width: 224              # resize fixed only
 *     max_width: 192          # resize height_keep_aspect only: width min(max_width, ceil(w * height / h)),
 *                             # then right-padded with pad_value up to max_width
 *     pad_value: 0            # value of padded positions in the output tensor, after normalization
 *     channels: RGB           # RGB | BGR
 *     scale: 0.00392156862745098   # or "1/255"; applied first: (x * scale - mean) / std
 *     mean: [0.0, 0.0, 0.0]   # per output channel
 *     std: [1.0, 1.0, 1.0]    # per output channel
 *     layout: NCHW            # NCHW | NHWC
 *   columns:                  # parquet, arrow: replaces the default list
 *     - {column: pixels, input: x, shape: [3, 32, 32], type: float32}   # type float32 | int64 | int32;
 *                                                                       # input defaults to the column name
 *   label:                    # each sample's class, for training with labels (qat --loss ce)
 *     field: label            # jsonl: the field holding a class index or a class name
 *     column: label           # parquet, arrow: the integer column holding class indexes
 *     classes: ["0", "180"]   # images: the directory names, in class order (an image's class is its directory);
 *                             # jsonl: class names; integer labels must be below their count
 * </pre>
 *
 * <p>Unknown keys and invalid values are errors naming the file, the key path (e.g. {@code data.images.hieght}) and
 * what was expected.
 */
public final class DataConfigFiles {
  private static final Set<String> DATA_KEYS = Set.of("format", "field", "max_length", "images", "columns", "label");
  private static final Set<String> LABEL_KEYS = Set.of("field", "column", "classes");
  private static final Set<String> IMAGE_KEYS = Set.of("input", "resize", "height", "width", "max_width",
      "pad_value", "channels", "scale", "mean", "std", "layout");
  private static final Set<String> COLUMN_KEYS = Set.of("column", "input", "shape", "type");
  private static final Pattern RECIPROCAL = Pattern.compile("\\s*1\\s*/\\s*([0-9]+(?:\\.[0-9]*)?)\\s*");

  private DataConfigFiles() {}

  /** The data settings of a local config file, or {@code defaults} when it has no {@code data} section. */
  public static DataConfig read(Path yamlFile, DataConfig defaults) {
    return read(FileStore.defaults(), yamlFile.toString(), defaults);
  }

  /** The data settings of the config file at {@code location}, or {@code defaults} without a {@code data} section. */
  public static DataConfig read(FileStore store, String location, DataConfig defaults) {
    return parse(YamlFields.readFile(store, location), YamlFields.where(location), defaults);
  }

  /** Parses YAML or JSON text; {@code where} names the source in errors. */
  public static DataConfig parse(String text, String where, DataConfig defaults) {
    return parse(YamlFields.readText(text, where), where, defaults);
  }

  private static DataConfig parse(JsonNode root, String where, DataConfig defaults) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(where + ": expected a mapping at the top level");
    }
    JsonNode data = root.get("data");
    if (data == null || data.isNull()) {
      return defaults;
    }
    mapping(data, where, "data");
    onlyKeys(data, where, "data.", DATA_KEYS);
    try {
      DataConfig c = defaults;
      if (data.has("format")) {
        c = c.withFormat(enumValue(DataFormat.class, text(data, "format", where, "data."), where, "data.format"));
      }
      if (data.has("field")) {
        c = c.withField(text(data, "field", where, "data."));
      }
      if (data.has("max_length")) {
        c = c.withMaxLength(integer(data, "max_length", where, "data."));
      }
      if (data.has("images")) {
        c = c.withImages(images(data.get("images"), c.images(), where));
      }
      if (data.has("columns")) {
        c = c.withColumns(columns(data.get("columns"), where));
      }
      if (data.has("label")) {
        c = c.withLabels(labels(data.get("label"), where));
      }
      return c;
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(where) ? e : new IllegalArgumentException(where + ": " + e.getMessage());
    }
  }

  private static Images images(JsonNode n, Images base, String where) {
    String p = "data.images.";
    mapping(n, where, "data.images");
    onlyKeys(n, where, p, IMAGE_KEYS);
    Images.Resize resize = n.has("resize")
        ? enumValue(Images.Resize.class, text(n, "resize", where, p), where, p + "resize") : base.resize();
    String widthKey = resize == Images.Resize.FIXED ? "width" : "max_width";
    String otherKey = resize == Images.Resize.FIXED ? "max_width" : "width";
    if (n.has(otherKey)) {
      throw new IllegalArgumentException(where + ": '" + p + otherKey + "' does not apply to resize "
          + resize.name().toLowerCase(java.util.Locale.ROOT) + "; use '" + p + widthKey + "'");
    }
    return new Images(
        n.has("input") ? text(n, "input", where, p) : base.input(),
        resize,
        n.has("height") ? integer(n, "height", where, p) : base.height(),
        n.has(widthKey) ? integer(n, widthKey, where, p) : base.width(),
        n.has("pad_value") ? (float) number(n.get("pad_value"), where, p + "pad_value") : base.padValue(),
        n.has("channels") ? enumValue(Images.Channels.class, text(n, "channels", where, p), where, p + "channels")
            : base.channels(),
        n.has("scale") ? scale(n.get("scale"), where) : base.scale(),
        n.has("mean") ? numbers(n.get("mean"), where, p + "mean") : base.mean(),
        n.has("std") ? numbers(n.get("std"), where, p + "std") : base.std(),
        n.has("layout") ? enumValue(Images.Layout.class, text(n, "layout", where, p), where, p + "layout")
            : base.layout());
  }

  private static Labels labels(JsonNode n, String where) {
    String p = "data.label.";
    mapping(n, where, "data.label");
    onlyKeys(n, where, p, LABEL_KEYS);
    if (n.has("field") && n.has("column")) {
      throw new IllegalArgumentException(where + ": 'data.label' takes 'field' (jsonl) or 'column' (parquet, arrow),"
          + " not both");
    }
    String source = n.has("field") ? text(n, "field", where, p) : n.has("column") ? text(n, "column", where, p) : null;
    List<String> classes = new ArrayList<>();
    JsonNode c = n.get("classes");
    if (c != null) {
      if (!c.isArray()) {
        throw new IllegalArgumentException(where + ": 'data.label.classes' must be a list of names, found " + c);
      }
      for (JsonNode name : c) {
        if (!name.isValueNode() || name.isNull()) {
          throw new IllegalArgumentException(where + ": 'data.label.classes' must be a list of names, found " + c);
        }
        classes.add(name.asText());
      }
    }
    return new Labels(source, classes);
  }

  private static List<Column> columns(JsonNode n, String where) {
    if (!n.isArray()) {
      throw new IllegalArgumentException(where + ": 'data.columns' must be a list of {column, input, shape, type}");
    }
    List<Column> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      String path = "data.columns[" + i + "]";
      JsonNode c = n.get(i);
      mapping(c, where, path);
      onlyKeys(c, where, path + ".", COLUMN_KEYS);
      List<Long> shape = new ArrayList<>();
      JsonNode s = c.get("shape");
      if (s != null) {
        if (!s.isArray()) {
          throw new IllegalArgumentException(where + ": '" + path + ".shape' must be a list of sizes, e.g. [3, 32, 32]");
        }
        for (JsonNode d : s) {
          if (!d.isIntegralNumber()) {
            throw new IllegalArgumentException(where + ": '" + path + ".shape' must be a list of sizes, found " + s);
          }
          shape.add(d.asLong());
        }
      }
      ColumnType type = c.has("type")
          ? enumValue(ColumnType.class, text(c, "type", where, path + "."), where, path + ".type")
          : ColumnType.FLOAT32;
      try {
        out.add(new Column(text(c, "column", where, path + "."),
            c.has("input") ? text(c, "input", where, path + ".") : null, shape, type));
      } catch (IllegalArgumentException e) {
        throw e.getMessage().startsWith(where) ? e
            : new IllegalArgumentException(where + ": '" + path + "': " + e.getMessage());
      }
    }
    return out;
  }

  private static void mapping(JsonNode n, String where, String path) {
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException(where + ": '" + path + "' must be a mapping");
    }
  }

  private static int integer(JsonNode n, String key, String where, String prefix) {
    JsonNode v = n.get(key);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException(where + ": '" + prefix + key + "' must be an integer, found " + v);
    }
    return v.asInt();
  }

  private static double number(JsonNode v, String where, String path) {
    if (v == null || !v.isNumber()) {
      throw new IllegalArgumentException(where + ": '" + path + "' must be a number, found " + v);
    }
    return v.asDouble();
  }

  private static List<Double> numbers(JsonNode v, String where, String path) {
    if (!v.isArray()) {
      throw new IllegalArgumentException(where + ": '" + path + "' must be a list of 3 numbers, found " + v);
    }
    List<Double> out = new ArrayList<>();
    for (JsonNode x : v) {
      out.add(number(x, where, path));
    }
    return out;
  }

  private static double scale(JsonNode v, String where) {
    if (v != null && v.isTextual()) {
      Matcher m = RECIPROCAL.matcher(v.asText());
      if (m.matches() && Double.parseDouble(m.group(1)) > 0) {
        return 1 / Double.parseDouble(m.group(1));
      }
      throw new IllegalArgumentException(where + ": 'data.images.scale' must be a number or '1/N', found " + v);
    }
    return number(v, where, "data.images.scale");
  }
}
