package org.sparkquant.io.data;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;

/**
 * Where each sample's class label comes from. Labels are class indexes {@code 0..classes-1}:
 * <ul>
 *   <li>{@link DataFormat#JSONL}: the field {@code source} of each object, an integer index or one of
 *       {@code classes} by name;
 *   <li>{@link DataFormat#PARQUET}, {@link DataFormat#ARROW}: the integer column {@code source};
 *   <li>{@link DataFormat#IMAGES}: the name of the directory that holds the image, one of {@code classes}
 *       ({@code source} is not used).
 * </ul>
 *
 * @param source the field or column, null for images
 * @param classes class names in index order; required for images, optional otherwise (then integer labels must be
 *     below its size)
 */
public record Labels(String source, List<String> classes) implements Serializable {
  private static final long serialVersionUID = 1L;

  public Labels {
    if (source != null && source.isBlank()) {
      throw new IllegalArgumentException("data.label.field must not be empty");
    }
    classes = List.copyOf(classes);
    if (new HashSet<>(classes).size() != classes.size() || classes.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException("data.label.classes must be distinct non-empty names, found " + classes);
    }
  }

  /**
   * Checks that the labels name the {@code what} ("field" or "column") that holds them, as formats that read labels
   * from each sample need.
   */
  void requireSource(String what, DataFormat format) {
    if (source == null) {
      throw new IllegalArgumentException("data.label needs the " + what + " that holds the labels for --data-format "
          + format.cliName());
    }
  }

  /**
   * The class index of a label found as {@code value} in {@code where}: a non-negative integer (below the number
   * of classes if they are named), or a class name.
   */
  long index(Object value, String where) {
    if (value instanceof Long n) {
      if (n < 0 || (!classes.isEmpty() && n >= classes.size())) {
        throw new IllegalArgumentException(where + ": label " + n + " is not a class index"
            + (classes.isEmpty() ? " (0 or more)" : " below " + classes.size() + " (data.label.classes)"));
      }
      return n;
    }
    int i = classes.indexOf(String.valueOf(value));
    if (i < 0) {
      throw new IllegalArgumentException(where + ": label '" + value + "' is not one of data.label.classes "
          + classes);
    }
    return i;
  }
}
