package org.sparkquant.job.gptq;

import java.io.Serializable;

/**
 * A slice of a partial Hessian sum as it travels from an executor: the batches {@code [lo, hi)} it sums (a span of
 * {@link org.sparkquant.core.sum.FixedTreeSum}), the tile (a contiguous range of the upper triangle), the rows
 * counted and the tile's values. Large Hessians travel as several tiles, each reduced on its own key.
 */
public final class HessianTile implements Serializable {
  private static final long serialVersionUID = 1L;

  int lo;
  int hi;
  int tile;
  long rows;
  double[] values;

  HessianTile() {}

  HessianTile(int lo, int hi, int tile, long rows, double[] values) {
    this.lo = lo;
    this.hi = hi;
    this.tile = tile;
    this.rows = rows;
    this.values = values;
  }

  /** {@code this + other} into this (same tile, adjacent spans): the combine step of the tree sum. */
  HessianTile add(HessianTile other) {
    for (int i = 0; i < values.length; i++) {
      values[i] += other.values[i];
    }
    rows += other.rows;
    hi = other.hi;
    return this;
  }
}
