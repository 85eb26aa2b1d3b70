package org.sparkquant.io.data;

import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Checks on the driver, before any job starts, that a {@link DataConfig} fits the model it feeds, completes the config
 * from the model's inputs, and gives the shapes of the tensors it feeds, for trial runs and the engine self-check. What
 * each format checks lives in its {@link SampleFormat}.
 */
public final class ModelFit {
  /** Sequence length of the token tensors in {@link #trialShapes}. */
  public static final int TRIAL_SEQUENCE_LENGTH = 8;

  private ModelFit() {}

  /**
   * Checks that what the encoder produces fits the model's inputs: every model input is fed, names exist, element types
   * match, ranks and static dimensions agree.
   *
   * @throws IllegalArgumentException one line naming the field or input and what was expected
   */
  public static void check(DataConfig config, List<ValueInfo> modelInputs) {
    bind(config, modelInputs);
  }

  /**
   * {@link #check(DataConfig, List)}, and for text formats also that a tokenizer was given.
   *
   * @throws IllegalArgumentException one line naming the field or input and what was expected
   */
  public static void check(DataConfig config, List<ValueInfo> modelInputs, byte[] tokenizerJsonOrNull) {
    check(config, modelInputs);
    DataFormats.of(config.format()).checkTokenizer(tokenizerJsonOrNull);
  }

  /**
   * {@code config} checked against the model's inputs ({@link #check(DataConfig, List)}) and completed from them: for
   * text the token inputs the model has, for images the model's only float input when {@code data.images.input} is not
   * set.
   */
  public static DataConfig bind(DataConfig config, List<ValueInfo> modelInputs) {
    return DataFormats.of(config.format()).bindTo(config, modelInputs);
  }

  /**
   * Checks what the file list alone tells of the labels: for labelled images, that every file lies in a directory named
   * in {@code data.label.classes}.
   *
   * @throws IllegalArgumentException naming the first file that has no class
   */
  public static void checkLabelsOf(DataConfig config, List<String> files) {
    DataFormats.of(config.format()).checkLabelsOf(config, files);
  }

  /**
   * The shapes of the tensors {@code config} feeds, for a batch of one sample, by model input: what a trial run on the
   * driver uses to check that the model runs on the data as it is encoded. Text gives token tensors of
   * {@value #TRIAL_SEQUENCE_LENGTH} tokens (fewer if {@code maxLength} is smaller); images and columns their exact
   * per-sample shape. Call it on a config {@link #bind bound} to the model.
   */
  public static Map<String, long[]> trialShapes(DataConfig config) {
    return batchShapes(config, 1, Math.min(TRIAL_SEQUENCE_LENGTH, config.maxLength()));
  }

  /**
   * The shapes the engine self-check runs the model at: two samples (so that batched kernels take the code paths full
   * batches take) at the longest sequence {@code config} lets through.
   */
  public static Map<String, long[]> selfCheckShapes(DataConfig config) {
    return batchShapes(config, 2, config.maxLength());
  }

  /**
   * The shapes of the tensors {@code config} feeds for a batch of {@code batch} samples, text padded to
   * {@code sequenceLength} tokens. Call it on a config {@link #bind bound} to the model.
   */
  public static Map<String, long[]> batchShapes(DataConfig config, long batch, long sequenceLength) {
    return DataFormats.of(config.format()).batchShapes(config, batch, sequenceLength);
  }
}
