package org.sparkquant.io.data;

import java.util.Locale;
import java.util.Optional;
import org.sparkquant.core.graph.DataType;

/** Element types a column can feed. */
public enum ColumnType {
  FLOAT32(DataType.FLOAT),
  INT64(DataType.INT64),
  INT32(DataType.INT32);

  private final DataType dataType;

  ColumnType(DataType dataType) {
    this.dataType = dataType;
  }

  /** The model's element type. */
  public DataType dataType() {
    return dataType;
  }

  /** Whether values are integers. */
  public boolean isInteger() {
    return this != FLOAT32;
  }

  /** The name used in config files, e.g. {@code float32}. */
  public String yamlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Optional<ColumnType> forDataType(DataType t) {
    for (ColumnType c : values()) {
      if (c.dataType == t) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
