package org.sparkquant.io.data;

import java.util.Set;

/** {@link DataFormat#PARQUET}: one sample per row of {@code *.parquet} files. */
final class ParquetFormat extends TabularFormat {
  private static final Set<String> EXTENSIONS = Set.of("parquet");

  @Override
  public DataFormat format() {
    return DataFormat.PARQUET;
  }

  @Override
  public Set<String> fileExtensions() {
    return EXTENSIONS;
  }

  @Override
  public SampleReader reader(DataConfig config) {
    return new ParquetSampleReader(requireColumns(config), config.labels());
  }
}
