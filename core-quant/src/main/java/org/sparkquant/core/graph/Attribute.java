package org.sparkquant.core.graph;

import java.util.List;

/**
 * A node attribute: a name, a declared kind and a value of the matching Java type ({@code Long}, {@code Float},
 * {@code String}, {@link Tensor}, {@code long[]}, {@code float[]}, {@code List<String>}).
 */
public record Attribute(String name, Kind kind, Object value) {

  /** Attribute kinds that the IR carries; graphs (control-flow bodies) are not supported. */
  public enum Kind {
    INT,
    FLOAT,
    STRING,
    TENSOR,
    INTS,
    FLOATS,
    STRINGS
  }

  public Attribute {
    boolean ok =
        switch (kind) {
          case INT -> value instanceof Long;
          case FLOAT -> value instanceof Float;
          case STRING -> value instanceof String;
          case TENSOR -> value instanceof Tensor;
          case INTS -> value instanceof long[];
          case FLOATS -> value instanceof float[];
          case STRINGS -> value instanceof List<?>;
        };
    if (!ok) {
      throw new IllegalArgumentException("attribute '" + name + "' of kind " + kind + " cannot hold " + value);
    }
  }

  public static Attribute of(String name, long v) {
    return new Attribute(name, Kind.INT, v);
  }

  public static Attribute of(String name, float v) {
    return new Attribute(name, Kind.FLOAT, v);
  }

  public static Attribute of(String name, String v) {
    return new Attribute(name, Kind.STRING, v);
  }

  public static Attribute of(String name, Tensor v) {
    return new Attribute(name, Kind.TENSOR, v);
  }

  public static Attribute of(String name, long... v) {
    return new Attribute(name, Kind.INTS, v.clone());
  }

  public static Attribute of(String name, float... v) {
    return new Attribute(name, Kind.FLOATS, v.clone());
  }
}
