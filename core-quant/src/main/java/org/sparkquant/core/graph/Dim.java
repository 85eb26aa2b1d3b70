package org.sparkquant.core.graph;

/**
 * One dimension of a declared shape: a known size, a named symbolic size, or unknown.
 *
 * @param size the size, or -1 when not known statically
 * @param symbol the symbolic name (e.g. {@code batch}), or null
 */
public record Dim(long size, String symbol) {
  public static Dim of(long size) {
    return new Dim(size, null);
  }

  public static Dim symbolic(String symbol) {
    return new Dim(-1, symbol);
  }

  public boolean isKnown() {
    return size >= 0;
  }

  @Override
  public String toString() {
    return isKnown() ? Long.toString(size) : symbol != null && !symbol.isEmpty() ? symbol : "?";
  }
}
