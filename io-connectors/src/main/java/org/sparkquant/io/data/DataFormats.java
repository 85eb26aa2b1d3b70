package org.sparkquant.io.data;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link SampleFormat} of every {@link DataFormat}, listed here and nowhere else, and the reader and encoder a
 * {@link DataConfig} gets through them on the executors.
 */
public final class DataFormats {
  private static final Map<DataFormat, SampleFormat> FORMATS = register(
      new TextFormat(),
      new JsonlFormat(),
      new ImagesFormat(),
      new ParquetFormat(),
      new ArrowFormat());

  private DataFormats() {}

  private static Map<DataFormat, SampleFormat> register(SampleFormat... formats) {
    Map<DataFormat, SampleFormat> map = new EnumMap<>(DataFormat.class);
    for (SampleFormat f : formats) {
      if (map.put(f.format(), f) != null) {
        throw new IllegalStateException("data format " + f.format().cliName() + " is registered twice");
      }
    }
    for (DataFormat f : DataFormat.values()) {
      if (!map.containsKey(f)) {
        throw new IllegalStateException("data format " + f.cliName() + " has no SampleFormat in DataFormats");
      }
    }
    return map;
  }

  /** The implementation of {@code format}. */
  public static SampleFormat of(DataFormat format) {
    return FORMATS.get(format);
  }

  /**
   * The implementation of the format named {@code cliName} (case-insensitive), e.g. {@code jsonl}.
   *
   * @throws IllegalArgumentException naming the formats there are
   */
  public static SampleFormat of(String cliName) {
    return of(DataFormat.parse(cliName));
  }

  /** Every format, in {@link DataFormat} order. */
  public static List<SampleFormat> all() {
    return List.copyOf(FORMATS.values());
  }

  /** The reader of {@code config}'s files; with {@link DataConfig#labels} its payloads end with each sample's label. */
  public static SampleReader reader(DataConfig config) {
    return of(config.format()).reader(config);
  }

  /**
   * A new encoder for batches of {@code config}'s payloads, labels included when the data has them; the caller closes
   * it.
   *
   * @param tokenizerJsonOrNull the bytes of a Hugging Face {@code tokenizer.json}; required for text, ignored otherwise
   */
  public static BatchEncoder newEncoder(DataConfig config, byte[] tokenizerJsonOrNull) {
    BatchEncoder encoder = of(config.format()).inputEncoder(config, tokenizerJsonOrNull);
    return config.labels() == null ? encoder : new LabelledEncoder(encoder);
  }
}
