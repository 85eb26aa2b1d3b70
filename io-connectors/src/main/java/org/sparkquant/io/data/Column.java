package org.sparkquant.io.data;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One numeric column of Parquet or Arrow rows feeding one model input. A column holds a number, a list of numbers
 * or a fixed-size list of numbers per row (nested lists are flattened in row-major order); each row must hold
 * exactly the number of values {@code shape} has. The batch is the rows stacked: {@code [batch] + shape}.
 *
 * @param column the column name in the files
 * @param input the model input it feeds (defaults to the column name)
 * @param shape the per-sample shape (empty for one number per row)
 * @param type the element type fed to the model
 */
public record Column(String column, String input, List<Long> shape, ColumnType type) implements Serializable {
  private static final long serialVersionUID = 1L;

  public Column {
    if (column == null || column.isBlank()) {
      throw new IllegalArgumentException("data.columns: 'column' must be a non-empty column name");
    }
    input = input == null ? column : input;
    if (input.isBlank()) {
      throw new IllegalArgumentException("data.columns[" + column + "].input must not be empty");
    }
    shape = List.copyOf(shape);
    long n = 1;
    for (Long d : shape) {
      if (d == null || d < 1) {
        throw new IllegalArgumentException("data.columns[" + column + "].shape must be positive sizes, found "
            + shape);
      }
      n *= d;
      if (n > Integer.MAX_VALUE / 8) {
        throw new IllegalArgumentException("data.columns[" + column + "].shape " + shape + " is too large");
      }
    }
    Objects.requireNonNull(type, "type");
  }

  /** Values per row. */
  public int elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return (int) n;
  }

  long[] shapeArray() {
    return shape.stream().mapToLong(Long::longValue).toArray();
  }
}
