package org.sparkquant.core.graph;

/**
 * A model that cannot be used as given: malformed file, broken graph, unsupported operator or attribute. The message
 * names the file, node or field and says what was expected.
 */
public class ModelFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
