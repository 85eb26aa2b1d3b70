package org.sparkquant.io.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.ValueInfo;

/**
 * Formats whose samples are text that a tokenizer turns into INT64 token tensors {@code [batch, sequence]}, padded to
 * the longest sample of each batch; every file is data.
 */
abstract class TokenizedFormat implements SampleFormat {
  @Override
  public Set<String> fileExtensions() {
    return Set.of();
  }

  @Override
  public void checkTokenizer(byte[] tokenizerJsonOrNull) {
    if (tokenizerJsonOrNull == null) {
      throw new IllegalArgumentException("--tokenizer is required for --data-format " + format().cliName());
    }
  }

  @Override
  public BatchEncoder inputEncoder(DataConfig config, byte[] tokenizerJsonOrNull) {
    checkTokenizer(tokenizerJsonOrNull);
    return new TokenEncoder(tokenizerJsonOrNull, config.maxLength(), config.tokenInputs());
  }

  /** Keeps the token inputs the model has, in {@link DataConfig#TOKEN_INPUTS} order. */
  @Override
  public DataConfig bindTo(DataConfig config, List<ValueInfo> modelInputs) {
    List<String> names = modelInputs.stream().map(ValueInfo::name).toList();
    if (!names.contains(DataConfig.INPUT_IDS)) {
      throw new IllegalArgumentException("model has no input '" + DataConfig.INPUT_IDS + "', which --data-format "
          + format().cliName() + " feeds; model inputs are " + names);
    }
    List<String> tokenInputs = config.tokenInputs();
    List<String> fed = new ArrayList<>();
    for (ValueInfo in : modelInputs) {
      if (!tokenInputs.contains(in.name())) {
        throw ModelInputChecks.notFed(in, format(), tokenInputs);
      }
      fed.add(in.name());
      if (in.dataType() != null && in.dataType() != DataType.INT64) {
        throw new IllegalArgumentException("model input '" + in.name() + "' is " + in.dataType()
            + "; --data-format " + format().cliName() + " feeds INT64 token tensors");
      }
      if (in.dims() != null && in.dims().size() != 2) {
        throw new IllegalArgumentException("model input '" + in.name() + "' has shape " + in.shapeText()
            + "; token inputs must be [batch, sequence]");
      }
      if (in.dims() != null && in.dims().get(1).isKnown()) {
        throw new IllegalArgumentException("model input '" + in.name() + "' has a fixed sequence length "
            + in.dims().get(1).size() + "; the text encoder pads each batch to its longest sample (at most"
            + " data.max_length), so the model needs a dynamic sequence dimension");
      }
    }
    List<String> ordered = DataConfig.TOKEN_INPUTS.stream().filter(fed::contains).toList();
    return ordered.equals(tokenInputs) ? config : config.withTokenInputs(ordered);
  }

  @Override
  public Map<String, long[]> batchShapes(DataConfig config, long batch, long sequenceLength) {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    config.tokenInputs().forEach(t -> shapes.put(t, new long[] {batch, sequenceLength}));
    return shapes;
  }
}
