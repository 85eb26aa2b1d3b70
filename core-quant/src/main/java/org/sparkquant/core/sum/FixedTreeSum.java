package org.sparkquant.core.sum;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.IntFunction;

/**
 * A sum over batches {@code 0..n-1} whose floating-point result does not depend on how the batches are split between
 * workers: the batches are added along a fixed balanced binary tree ({@code [lo, hi)} = {@code [lo, mid)} +
 * {@code [mid, hi)}, {@code mid = (lo + hi) / 2}). A worker holding the contiguous batches {@code [from, to)} sums
 * the largest subtrees inside its range ({@link #partial}, O(log n) of them); the partials of all workers, in any
 * number and order, complete the tree ({@link #total}) with exactly the additions a single worker would make.
 */
public final class FixedTreeSum {
  private FixedTreeSum() {}

  /** A subtree: the batches {@code [lo, hi)}. */
  public record Span(int lo, int hi) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Span {
      if (lo < 0 || hi <= lo) {
        throw new IllegalArgumentException("a span needs 0 <= lo < hi, found [" + lo + ", " + hi + ")");
      }
    }
  }

  /**
   * The sums of the maximal subtrees of the tree over {@code [0, n)} that lie inside {@code [from, to)}, keyed by
   * span. {@code leaf} is called once per batch, in increasing batch order (so a stream can feed it).
   *
   * @param combine adds the right operand to the left and returns the result (it may reuse the left operand)
   */
  public static <T> Map<Span, T> partial(
      int n, int from, int to, IntFunction<T> leaf, BinaryOperator<T> combine) {
    if (from < 0 || to > n || from > to) {
      throw new IllegalArgumentException("range [" + from + ", " + to + ") is not inside [0, " + n + ")");
    }
    Map<Span, T> out = new LinkedHashMap<>();
    if (from < to) {
      collect(0, n, from, to, leaf, combine, out);
    }
    return out;
  }

  private static <T> void collect(
      int lo, int hi, int from, int to, IntFunction<T> leaf, BinaryOperator<T> combine, Map<Span, T> out) {
    if (hi <= from || lo >= to) {
      return;
    }
    if (from <= lo && hi <= to) {
      out.put(new Span(lo, hi), sum(lo, hi, leaf, combine));
      return;
    }
    int mid = (lo + hi) >>> 1;
    collect(lo, mid, from, to, leaf, combine, out);
    collect(mid, hi, from, to, leaf, combine, out);
  }

  private static <T> T sum(int lo, int hi, IntFunction<T> leaf, BinaryOperator<T> combine) {
    if (hi - lo == 1) {
      return leaf.apply(lo);
    }
    int mid = (lo + hi) >>> 1;
    T left = sum(lo, mid, leaf, combine);
    return combine.apply(left, sum(mid, hi, leaf, combine));
  }

  /**
   * The sum over {@code [0, n)} from partials that together cover every batch exactly once.
   *
   * @throws IllegalArgumentException when a batch is missing
   */
  public static <T> T total(int n, Map<Span, T> partials, BinaryOperator<T> combine) {
    if (n < 1) {
      throw new IllegalArgumentException("a sum needs at least one batch, found " + n);
    }
    return complete(0, n, partials, combine);
  }

  private static <T> T complete(int lo, int hi, Map<Span, T> partials, BinaryOperator<T> combine) {
    T t = partials.get(new Span(lo, hi));
    if (t != null) {
      return t;
    }
    if (hi - lo == 1) {
      throw new IllegalArgumentException("no partial sum covers batch " + lo);
    }
    int mid = (lo + hi) >>> 1;
    T left = complete(lo, mid, partials, combine);
    return combine.apply(left, complete(mid, hi, partials, combine));
  }
}
