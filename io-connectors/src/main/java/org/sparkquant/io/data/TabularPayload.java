package org.sparkquant.io.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The payload of one Parquet or Arrow row: for each configured column in order, the number of values as a
 * little-endian int32, then the values, little-endian float32 for {@code float32} columns and int64 for integer
 * columns; for labelled data then the row's label ({@link LabelledEncoder#withLabel}). Readers build it with a
 * {@link RowBuilder}, which checks nulls, types and value counts against the config so that errors can name the file
 * and row; {@link TabularEncoder} stacks payloads into tensors.
 */
final class TabularPayload {
  private TabularPayload() {}

  /** Bytes of one row's payload. */
  static int size(List<Column> columns) {
    int n = 0;
    for (Column c : columns) {
      n += 4 + c.elementCount() * (c.type().isInteger() ? 8 : 4);
    }
    return n;
  }

  /**
   * The columns a reader reads: those that feed inputs, then the label column (one integer per row) if the data has
   * {@code labels} (nullable).
   */
  static List<Column> readColumns(List<Column> columns, Labels labels) {
    if (labels == null) {
      return columns;
    }
    List<Column> all = new java.util.ArrayList<>(columns);
    all.add(new Column(labels.source(), labels.source(), List.of(), ColumnType.INT64));
    return List.copyOf(all);
  }

  /** Builds the payloads of rows, one value at a time. */
  static final class RowBuilder {
    private final List<Column> columns;
    private final Labels labels;
    private final String uri;
    private final int size;
    private ByteBuffer row;
    private long rowIndex;
    private Column column;
    private boolean labelColumn;
    private int count;

    /** Rows of {@code readColumns(columns, labels)}: the label column, if any, comes last. */
    RowBuilder(List<Column> columns, Labels labels, String uri) {
      this.columns = readColumns(columns, labels);
      this.labels = labels;
      this.uri = uri;
      this.size = size(columns) + (labels == null ? 0 : Long.BYTES);
    }

    void startRow(long index) {
      rowIndex = index;
      row = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    void startColumn(int index) {
      column = columns.get(index);
      labelColumn = labels != null && index == columns.size() - 1;
      count = 0;
      if (!labelColumn) {
        row.putInt(column.elementCount());
      }
    }

    void addDouble(double v) {
      if (column.type().isInteger()) {
        throw error("holds floating-point values; type " + column.type().yamlName() + " needs integers");
      }
      room();
      row.putFloat((float) v);
    }

    void addLong(long v) {
      room();
      if (!column.type().isInteger()) {
        row.putFloat(v);
      } else {
        if (column.type() == ColumnType.INT32 && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
          throw error("value " + v + " does not fit type int32");
        }
        row.putLong(labelColumn ? labels.index(v, uri + ": row " + rowIndex + ": column '" + column.column() + "'")
            : v);
      }
    }

    /** A null value or list. */
    IllegalArgumentException nullValue() {
      return error("is null; every row needs " + column.elementCount() + " values");
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException(uri + ": row " + rowIndex + ": column '" + column.column() + "' " + what);
    }

    private void room() {
      if (count == column.elementCount()) {
        throw error("has more than " + column.elementCount() + " values; data.columns shape is " + column.shape());
      }
      count++;
    }

    void endColumn() {
      if (count != column.elementCount()) {
        throw error("has " + count + " values; data.columns shape " + column.shape() + " needs "
            + column.elementCount());
      }
    }

    byte[] finishRow() {
      return row.array();
    }
  }
}
