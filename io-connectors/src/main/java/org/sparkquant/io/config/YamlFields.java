package org.sparkquant.io.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.sparkquant.io.fs.FileStore;

/**
 * Strict reading of YAML/JSON config trees, shared by the config file readers: every error names the source, the
 * key path and what was expected.
 */
final class YamlFields {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private YamlFields() {}

  /** The tree of the YAML or JSON config file at {@code location}; errors name it as {@code config 'location'}. */
  static JsonNode readFile(FileStore store, String location) {
    return readText(store.readText(location, "config"), where(location));
  }

  /** How errors name the config file at {@code location}. */
  static String where(String location) {
    return "config '" + location + "'";
  }

  /** The tree of YAML or JSON text; {@code where} names it in errors. */
  static JsonNode readText(String text, String where) {
    try {
      return YAML.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(where + " is not valid YAML/JSON: " + firstLine(e.getMessage()));
    }
  }

  static void onlyKeys(JsonNode n, String where, String prefix, Set<String> allowed) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!allowed.contains(key)) {
        throw new IllegalArgumentException(
            where + ": unknown key '" + prefix + key + "'; expected one of " + new TreeSet<>(allowed));
      }
    }
  }

  static String text(JsonNode n, String key, String where, String prefix) {
    JsonNode v = n.get(key);
    if (v == null || !v.isValueNode() || v.asText().isEmpty()) {
      throw new IllegalArgumentException(where + ": '" + prefix + key + "' is required and must be text");
    }
    return v.asText();
  }

  static <E extends Enum<E>> E enumValue(Class<E> type, String value, String where, String path) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name().toLowerCase(Locale.ROOT));
    }
    throw new IllegalArgumentException(where + ": '" + path + "' is '" + value + "'; expected one of " + names);
  }

  static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}
