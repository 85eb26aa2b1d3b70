package org.sparkquant.io.data;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.ValueInfo;

/**
 * {@link DataFormat#IMAGES}: one image per file (PNG, JPEG, BMP), preprocessed as {@link DataConfig#images} says into
 * one FLOAT tensor; labelled by the directory that holds each image.
 */
final class ImagesFormat implements SampleFormat {
  private static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp");

  @Override
  public DataFormat format() {
    return DataFormat.IMAGES;
  }

  @Override
  public Set<String> fileExtensions() {
    return EXTENSIONS;
  }

  @Override
  public void checkLabels(Labels labels) {
    if (labels.source() != null) {
      throw new IllegalArgumentException("data.label: images are labelled by the directory that holds them;"
          + " list the directory names in data.label.classes instead of a field or column");
    }
    if (labels.classes().isEmpty()) {
      throw new IllegalArgumentException("data.label.classes is required for --data-format images: the"
          + " directory names, in class order");
    }
  }

  @Override
  public SampleReader reader(DataConfig config) {
    return new ImageSampleReader(config.labels());
  }

  @Override
  public void checkLabelsOf(DataConfig config, List<String> files) {
    if (config.labels() != null) {
      ImageSampleReader reader = new ImageSampleReader(config.labels());
      files.forEach(reader::label);
    }
  }

  @Override
  public BatchEncoder inputEncoder(DataConfig config, byte[] tokenizerJsonOrNull) {
    if (config.images().input() == null) {
      throw new IllegalArgumentException("data.images.input is not set; set it, or bind the config to the model"
          + " (ModelFit.bind) to use the model's only float input");
    }
    return new ImageEncoder(config.images());
  }

  /** Fills in {@code data.images.input} with the model's only float input when it is not set. */
  @Override
  public DataConfig bindTo(DataConfig config, List<ValueInfo> modelInputs) {
    Images images = config.images();
    String input = images.input();
    if (input == null) {
      List<String> floats = modelInputs.stream().filter(v -> v.dataType() == DataType.FLOAT).map(ValueInfo::name)
          .toList();
      if (floats.isEmpty()) {
        throw new IllegalArgumentException("--data-format images feeds a FLOAT image tensor, but the model has no"
            + " float input; model inputs are " + modelInputs.stream().map(v -> v.name() + " " + v.dataType())
            .toList());
      }
      if (floats.size() != 1) {
        throw new IllegalArgumentException("model has " + floats.size() + " float inputs " + floats
            + "; set data.images.input to the one that takes the images");
      }
      input = floats.get(0);
    }
    ValueInfo in = ModelInputChecks.find(modelInputs, input, "data.images.input");
    for (ValueInfo other : modelInputs) {
      if (!other.name().equals(input)) {
        throw ModelInputChecks.notFed(other, format(), List.of(input));
      }
    }
    if (in.dataType() != null && in.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("model input '" + input + "' is " + in.dataType()
          + "; --data-format images feeds FLOAT tensors");
    }
    ModelInputChecks.checkDims(in, images.sampleShape(), "data.images ("
        + images.resize().name().toLowerCase(Locale.ROOT) + ", " + images.layout() + ")");
    return input.equals(images.input()) ? config : config.withImages(images.withInput(input));
  }

  @Override
  public Map<String, long[]> batchShapes(DataConfig config, long batch, long sequenceLength) {
    Images images = config.images();
    if (images.input() == null) {
      throw new IllegalStateException("bind the config to the model first (ModelFit.bind)");
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put(images.input(), ModelInputChecks.withBatch(batch, images.sampleShape()));
    return shapes;
  }
}
