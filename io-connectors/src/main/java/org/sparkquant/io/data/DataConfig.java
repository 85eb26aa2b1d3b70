package org.sparkquant.io.data;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How calibration data is read and turned into model inputs. Immutable and serializable, so the driver can build it,
 * check it against the model ({@link ModelFit}) and send it to executors, which make the reader and the encoder from it
 * ({@link DataFormats#reader}, {@link DataFormats#newEncoder}). What each format does lives in its
 * {@link SampleFormat}.
 *
 * @param format the kind of data files
 * @param field for {@link DataFormat#JSONL}, the string field of each object that holds the text
 * @param maxLength for text, the longest token sequence kept (longer samples are truncated); batches are padded to
 *     their longest sample, not to this length
 * @param tokenInputs for text, the token tensors to produce, a subset of {@link #TOKEN_INPUTS} that includes
 *     {@code input_ids}; {@link ModelFit#bind} keeps those the model has
 * @param images for {@link DataFormat#IMAGES}, the preprocessing
 * @param columns for {@link DataFormat#PARQUET} and {@link DataFormat#ARROW}, the columns that feed model inputs
 * @param labels where each sample's class label comes from, or null for unlabelled data; labels travel with the
 *     samples and reach {@link EncodedBatch#labels()}, for training with a cross-entropy loss
 */
public record DataConfig(
    DataFormat format, String field, int maxLength, List<String> tokenInputs, Images images, List<Column> columns,
    Labels labels)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String INPUT_IDS = "input_ids";
  public static final String ATTENTION_MASK = "attention_mask";
  public static final String TOKEN_TYPE_IDS = "token_type_ids";
  /** The token tensors the text encoder can produce, by the names models use for them. */
  public static final List<String> TOKEN_INPUTS = List.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS);
  public static final String DEFAULT_FIELD = "text";
  public static final int DEFAULT_MAX_LENGTH = 128;
  /** Longest {@code maxLength} accepted. */
  public static final int MAX_MAX_LENGTH = 1 << 20;

  public DataConfig {
    Objects.requireNonNull(format, "format");
    if (field == null || field.isBlank()) {
      throw new IllegalArgumentException("data.field must be a non-empty JSON field name, found '" + field + "'");
    }
    if (maxLength < 1 || maxLength > MAX_MAX_LENGTH) {
      throw new IllegalArgumentException("data.max_length must be between 1 and " + MAX_MAX_LENGTH + ", found "
          + maxLength);
    }
    tokenInputs = List.copyOf(tokenInputs);
    if (!TOKEN_INPUTS.containsAll(tokenInputs) || new HashSet<>(tokenInputs).size() != tokenInputs.size()
        || !tokenInputs.contains(INPUT_IDS)) {
      throw new IllegalArgumentException("token inputs " + tokenInputs + " must be distinct names out of "
          + TOKEN_INPUTS + " including " + INPUT_IDS);
    }
    Objects.requireNonNull(images, "images");
    columns = List.copyOf(columns);
    Set<String> inputs = new HashSet<>();
    for (Column c : columns) {
      if (!inputs.add(c.input())) {
        throw new IllegalArgumentException("data.columns: input '" + c.input() + "' is fed by two columns");
      }
    }
    if (labels != null) {
      DataFormats.of(format).checkLabels(labels);
    }
  }

  /** Defaults for {@code format}: field {@code text}, max length 128, all token inputs, default images, no columns. */
  public static DataConfig defaults(DataFormat format) {
    return new DataConfig(format, DEFAULT_FIELD, DEFAULT_MAX_LENGTH, TOKEN_INPUTS, Images.DEFAULT, List.of(), null);
  }

  public DataConfig withFormat(DataFormat format) {
    return new DataConfig(format, field, maxLength, tokenInputs, images, columns, labels);
  }

  public DataConfig withField(String field) {
    return new DataConfig(format, field, maxLength, tokenInputs, images, columns, labels);
  }

  public DataConfig withMaxLength(int maxLength) {
    return new DataConfig(format, field, maxLength, tokenInputs, images, columns, labels);
  }

  public DataConfig withTokenInputs(List<String> tokenInputs) {
    return new DataConfig(format, field, maxLength, tokenInputs, images, columns, labels);
  }

  public DataConfig withImages(Images images) {
    return new DataConfig(format, field, maxLength, tokenInputs, images, columns, labels);
  }

  public DataConfig withColumns(List<Column> columns) {
    return new DataConfig(format, field, maxLength, tokenInputs, images, columns, labels);
  }

  public DataConfig withLabels(Labels labels) {
    return new DataConfig(format, field, maxLength, tokenInputs, images, columns, labels);
  }
}
