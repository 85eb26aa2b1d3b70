package org.sparkquant.io.data;

/**
 * {@link DataFormat#JSONL}: one JSON object per non-blank line, whose string field {@link DataConfig#field} is
 * tokenized and whose field {@link Labels#source} holds the label.
 */
final class JsonlFormat extends TokenizedFormat {
  @Override
  public DataFormat format() {
    return DataFormat.JSONL;
  }

  @Override
  public void checkLabels(Labels labels) {
    labels.requireSource("field", format());
  }

  @Override
  public SampleReader reader(DataConfig config) {
    return new LineSampleReader(config.field(), config.labels());
  }
}
