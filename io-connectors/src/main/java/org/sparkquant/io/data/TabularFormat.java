package org.sparkquant.io.data;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Formats whose samples are rows of numeric columns, each column feeding one model input as
 * {@link DataConfig#columns} lists them; an integer column holds the label.
 */
abstract class TabularFormat implements SampleFormat {
  @Override
  public void checkLabels(Labels labels) {
    labels.requireSource("column", format());
  }

  @Override
  public BatchEncoder inputEncoder(DataConfig config, byte[] tokenizerJsonOrNull) {
    return new TabularEncoder(requireColumns(config));
  }

  /** Checks every column against the input it feeds and that every input is fed; the config needs no completing. */
  @Override
  public DataConfig bindTo(DataConfig config, List<ValueInfo> modelInputs) {
    Set<String> fed = new LinkedHashSet<>();
    for (Column c : requireColumns(config)) {
      ValueInfo in = ModelInputChecks.find(modelInputs, c.input(), "data.columns[" + c.column() + "].input");
      fed.add(c.input());
      if (in.dataType() != null && in.dataType() != c.type().dataType()) {
        throw new IllegalArgumentException("model input '" + c.input() + "' is " + in.dataType() + " but column '"
            + c.column() + "' has type " + c.type().yamlName() + "; set data.columns type to "
            + ColumnType.forDataType(in.dataType()).map(ColumnType::yamlName).orElse("a supported type"));
      }
      ModelInputChecks.checkDims(in, c.shapeArray(), "column '" + c.column() + "' shape");
    }
    for (ValueInfo in : modelInputs) {
      if (!fed.contains(in.name())) {
        throw ModelInputChecks.notFed(in, format(), List.copyOf(fed));
      }
    }
    return config;
  }

  @Override
  public Map<String, long[]> batchShapes(DataConfig config, long batch, long sequenceLength) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Column c : requireColumns(config)) {
      shapes.put(c.input(), ModelInputChecks.withBatch(batch, c.shapeArray()));
    }
    return shapes;
  }

  /** {@link DataConfig#columns}, which tabular formats cannot do without. */
  List<Column> requireColumns(DataConfig config) {
    if (config.columns().isEmpty()) {
      throw new IllegalArgumentException("data.columns is required for --data-format " + format().cliName()
          + ": list the columns as {column, input, shape, type}");
    }
    return config.columns();
  }
}
