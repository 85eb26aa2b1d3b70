package org.sparkquant.io.data;

import java.util.Set;

/** {@link DataFormat#ARROW}: one sample per row of Arrow IPC files (Feather v2: {@code *.arrow, *.feather, *.ipc}). */
final class ArrowFormat extends TabularFormat {
  private static final Set<String> EXTENSIONS = Set.of("arrow", "feather", "ipc");

  @Override
  public DataFormat format() {
    return DataFormat.ARROW;
  }

  @Override
  public Set<String> fileExtensions() {
    return EXTENSIONS;
  }

  @Override
  public SampleReader reader(DataConfig config) {
    return new ArrowSampleReader(requireColumns(config), config.labels());
  }
}
