package org.sparkquant.io.data;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.ValueInfo;

/**
 * What one {@link DataFormat} does with a {@link DataConfig}: which files are its data, how their samples are read and
 * encoded into model inputs, how the config is checked against the model and completed from it, and the shapes it
 * feeds. Implementations are stateless singletons listed in {@link DataFormats}; adding a format is one implementation
 * and one line there.
 */
public interface SampleFormat {
  /** The format this implements. */
  DataFormat format();

  /**
   * Extensions (lower case, without the dot) of the files that count as data inside directories and glob matches;
   * empty when every file does.
   */
  Set<String> fileExtensions();

  /**
   * Checks that samples of this format can carry {@code labels}.
   *
   * @throws IllegalArgumentException naming the {@code data.label} key to change
   */
  void checkLabels(Labels labels);

  /** The reader of this format's files; with {@link DataConfig#labels} its payloads end with each sample's label. */
  SampleReader reader(DataConfig config);

  /**
   * A new encoder of this format's payloads into model inputs, labels aside; the caller closes it.
   *
   * @param tokenizerJsonOrNull the bytes of a Hugging Face {@code tokenizer.json}, for formats that tokenize
   */
  BatchEncoder inputEncoder(DataConfig config, byte[] tokenizerJsonOrNull);

  /**
   * {@code config} checked against the model's inputs and completed from them.
   *
   * @throws IllegalArgumentException one line naming the field or input and what was expected
   */
  DataConfig bindTo(DataConfig config, List<ValueInfo> modelInputs);

  /**
   * The shapes of the tensors {@code config} feeds for a batch of {@code batch} samples, by model input, token tensors
   * padded to {@code sequenceLength}.
   */
  Map<String, long[]> batchShapes(DataConfig config, long batch, long sequenceLength);

  /**
   * Checks that a tokenizer is given where this format needs one.
   *
   * @throws IllegalArgumentException if it needs one and none was given
   */
  default void checkTokenizer(byte[] tokenizerJsonOrNull) {}

  /**
   * Checks on the driver what the file list alone tells of the labels; most formats learn nothing from it.
   *
   * @throws IllegalArgumentException naming the first file that has no label
   */
  default void checkLabelsOf(DataConfig config, List<String> files) {}
}
