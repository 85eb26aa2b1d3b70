package org.sparkquant.io.data;

/** {@link DataFormat#TEXT}: one sample per non-blank line of UTF-8 text, tokenized; lines carry no labels. */
final class TextFormat extends TokenizedFormat {
  @Override
  public DataFormat format() {
    return DataFormat.TEXT;
  }

  @Override
  public void checkLabels(Labels labels) {
    throw new IllegalArgumentException("data.label: text lines carry no labels; use --data-format jsonl with"
        + " data.label.field");
  }

  @Override
  public SampleReader reader(DataConfig config) {
    return new LineSampleReader(null, null);
  }
}
