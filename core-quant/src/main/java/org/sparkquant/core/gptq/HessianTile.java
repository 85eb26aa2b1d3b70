package org.sparkquant.core.gptq;

import java.io.Serializable;

/**
 * A slice of a partial Hessian sum as it travels between processes: the batches {@code [lo, hi)} it sums (a span of
 * {@link org.sparkquant.core.sum.FixedTreeSum}), the tile (a contiguous range of the upper triangle), the rows counted and the tile's
 * values. Large Hessians travel as several tiles, each reduced on its own key.
 */
public final class HessianTile implements Serializable {
  private static final long serialVersionUID = 1L;

  private int lo;
  private int hi;
  private int tile;
  private long rows;
  private double[] values;

  HessianTile() {}

  public HessianTile(int lo, int hi, int tile, long rows, double[] values) {
    this.lo = lo;
    this.hi = hi;
    this.tile = tile;
    this.rows = rows;
    this.values = values;
  }

  /** First batch of the span. */
  public int lo() {
    return lo;
  }

  /** End (exclusive) of the span. */
  public int hi() {
    return hi;
  }

  /** Index of the tile in the upper triangle. */
  public int tile() {
    return tile;
  }

  /** Input rows the sum counts. */
  public long rows() {
    return rows;
  }

  /** The tile's values (not copied). */
  public double[] values() {
    return values;
  }

  /** {@code this + other} into this (same tile, adjacent spans): the combine step of the tree sum. */
  public HessianTile add(HessianTile other) {
    for (int i = 0; i < values.length; i++) {
      values[i] += other.values[i];
    }
    rows += other.rows;
    hi = other.hi;
    return this;
  }
}
