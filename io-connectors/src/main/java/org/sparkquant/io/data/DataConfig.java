package org.sparkquant.io.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.ValueInfo;

/**
 * How calibration data is read and turned into model inputs. Immutable and serializable, so the driver can build it,
 * check it against the model ({@link #checkFits}, {@link #bindTo}) and send it to executors, which make the
 * {@link #reader()} and the {@link #newEncoder(byte[]) encoder} from it.
 *
 * @param format the kind of data files
 * @param field for {@link DataFormat#JSONL}, the string field of each object that holds the text
 * @param maxLength for text, the longest token sequence kept (longer samples are truncated); batches are padded to
 *     their longest sample, not to this length
 * @param tokenInputs for text, the token tensors to produce, a subset of {@link #TOKEN_INPUTS} that includes
 *     {@code input_ids}; {@link #bindTo} keeps those the model has
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
      labels.checkFor(format);
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

  /** The reader of this format's files; with {@link #labels} its payloads end with each sample's label. */
  public SampleReader reader() {
    return switch (format) {
      case TEXT -> new LineSampleReader(null, null);
      case JSONL -> new LineSampleReader(field, labels);
      case IMAGES -> new ImageSampleReader(labels);
      case PARQUET -> new ParquetSampleReader(requireColumns(), labels);
      case ARROW -> new ArrowSampleReader(requireColumns(), labels);
    };
  }

  /**
   * Checks on the driver what the file list alone tells of the labels: for labelled images, that every file lies in a
   * directory named in {@code data.label.classes}.
   *
   * @throws IllegalArgumentException naming the first file that has no class
   */
  public void checkLabelsOf(List<String> files) {
    if (labels != null && format == DataFormat.IMAGES) {
      ImageSampleReader reader = new ImageSampleReader(labels);
      files.forEach(reader::label);
    }
  }

  /**
   * A new encoder for batches of this format's payloads; the caller closes it.
   *
   * @param tokenizerJsonOrNull the bytes of a Hugging Face {@code tokenizer.json}; required for text, ignored otherwise
   */
  public BatchEncoder newEncoder(byte[] tokenizerJsonOrNull) {
    BatchEncoder encoder = inputEncoder(tokenizerJsonOrNull);
    return labels == null ? encoder : new LabelledEncoder(encoder);
  }

  private BatchEncoder inputEncoder(byte[] tokenizerJsonOrNull) {
    return switch (format) {
      case TEXT, JSONL -> {
        requireTokenizer(tokenizerJsonOrNull);
        yield new TokenEncoder(tokenizerJsonOrNull, maxLength, tokenInputs);
      }
      case IMAGES -> {
        if (images.input() == null) {
          throw new IllegalArgumentException("data.images.input is not set; set it, or bind the config to the model"
              + " (DataConfig.bindTo) to use the model's only float input");
        }
        yield new ImageEncoder(images);
      }
      case PARQUET, ARROW -> new TabularEncoder(requireColumns());
    };
  }

  /**
   * Checks on the driver, before any job starts, that what the encoder produces fits the model's inputs: every model
   * input is fed, names exist, element types match, ranks and static dimensions agree.
   *
   * @throws IllegalArgumentException one line naming the field or input and what was expected
   */
  public void checkFits(List<ValueInfo> modelInputs) {
    bindTo(modelInputs);
  }

  /**
   * {@link #checkFits(List)}, and for text formats also that a tokenizer was given.
   *
   * @throws IllegalArgumentException one line naming the field or input and what was expected
   */
  public void checkFits(List<ValueInfo> modelInputs, byte[] tokenizerJsonOrNull) {
    checkFits(modelInputs);
    if (format.isText()) {
      requireTokenizer(tokenizerJsonOrNull);
    }
  }

  /**
   * This config checked against the model's inputs ({@link #checkFits(List)}) and completed from them: for text the
   * token inputs the model has, for images the model's only float input when {@code data.images.input} is not set.
   */
  public DataConfig bindTo(List<ValueInfo> modelInputs) {
    List<String> names = modelInputs.stream().map(ValueInfo::name).toList();
    return switch (format) {
      case TEXT, JSONL -> bindText(modelInputs, names);
      case IMAGES -> bindImages(modelInputs, names);
      case PARQUET, ARROW -> {
        bindColumns(modelInputs, names);
        yield this;
      }
    };
  }

  private DataConfig bindText(List<ValueInfo> modelInputs, List<String> names) {
    if (!names.contains(INPUT_IDS)) {
      throw new IllegalArgumentException("model has no input '" + INPUT_IDS + "', which --data-format "
          + format.cliName() + " feeds; model inputs are " + names);
    }
    List<String> fed = new ArrayList<>();
    for (ValueInfo in : modelInputs) {
      if (!tokenInputs.contains(in.name())) {
        throw notFed(in, tokenInputs);
      }
      fed.add(in.name());
      if (in.dataType() != null && in.dataType() != DataType.INT64) {
        throw new IllegalArgumentException("model input '" + in.name() + "' is " + in.dataType()
            + "; --data-format " + format.cliName() + " feeds INT64 token tensors");
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
    List<String> ordered = TOKEN_INPUTS.stream().filter(fed::contains).toList();
    return ordered.equals(tokenInputs) ? this : withTokenInputs(ordered);
  }

  private DataConfig bindImages(List<ValueInfo> modelInputs, List<String> names) {
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
    ValueInfo in = find(modelInputs, input, "data.images.input");
    for (ValueInfo other : modelInputs) {
      if (!other.name().equals(input)) {
        throw notFed(other, List.of(input));
      }
    }
    if (in.dataType() != null && in.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("model input '" + input + "' is " + in.dataType()
          + "; --data-format images feeds FLOAT tensors");
    }
    long[] expected = images.sampleShape();
    checkDims(in, expected, "data.images (" + images.resize().name().toLowerCase(Locale.ROOT) + ", "
        + images.layout() + ")");
    return input.equals(images.input()) ? this : withImages(images.withInput(input));
  }

  private void bindColumns(List<ValueInfo> modelInputs, List<String> names) {
    List<Column> cols = requireColumns();
    Set<String> fed = new LinkedHashSet<>();
    for (Column c : cols) {
      ValueInfo in = find(modelInputs, c.input(), "data.columns[" + c.column() + "].input");
      fed.add(c.input());
      if (in.dataType() != null && in.dataType() != c.type().dataType()) {
        throw new IllegalArgumentException("model input '" + c.input() + "' is " + in.dataType() + " but column '"
            + c.column() + "' has type " + c.type().yamlName() + "; set data.columns type to "
            + ColumnType.forDataType(in.dataType()).map(ColumnType::yamlName).orElse("a supported type"));
      }
      checkDims(in, c.shapeArray(), "column '" + c.column() + "' shape");
    }
    for (ValueInfo in : modelInputs) {
      if (!fed.contains(in.name())) {
        throw notFed(in, List.copyOf(fed));
      }
    }
  }

  /** Sequence length of the token tensors in {@link #trialShapes()}. */
  public static final int TRIAL_SEQUENCE_LENGTH = 8;

  /**
   * The shapes of the tensors this config feeds, for a batch of one sample, by model input: what a trial run on the
   * driver uses to check that the model runs on the data as it is encoded. Text gives token tensors of
   * {@value #TRIAL_SEQUENCE_LENGTH} tokens (fewer if {@code maxLength} is smaller); images and columns their exact
   * per-sample shape. Call it on a config {@link #bindTo bound} to the model.
   */
  public java.util.Map<String, long[]> trialShapes() {
    return batchShapes(1, Math.min(TRIAL_SEQUENCE_LENGTH, maxLength));
  }

  /**
   * The shapes the engine self-check runs the model at: two samples (so that batched kernels take the code paths full
   * batches take) at the longest sequence this config lets through.
   */
  public java.util.Map<String, long[]> selfCheckShapes() {
    return batchShapes(2, maxLength);
  }

  /**
   * The shapes of the tensors this config feeds for a batch of {@code batch} samples, text padded to
   * {@code sequenceLength} tokens. Call it on a config {@link #bindTo bound} to the model.
   */
  public java.util.Map<String, long[]> batchShapes(long batch, long sequenceLength) {
    java.util.Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
    switch (format) {
      case TEXT, JSONL -> tokenInputs.forEach(t -> shapes.put(t, new long[] {batch, sequenceLength}));
      case IMAGES -> {
        if (images.input() == null) {
          throw new IllegalStateException("bind the config to the model first (DataConfig.bindTo)");
        }
        shapes.put(images.input(), withBatch(batch, images.sampleShape()));
      }
      case PARQUET, ARROW -> {
        for (Column c : requireColumns()) {
          shapes.put(c.input(), withBatch(batch, c.shapeArray()));
        }
      }
    }
    return shapes;
  }

  private static long[] withBatch(long batch, long[] sample) {
    long[] shape = new long[sample.length + 1];
    shape[0] = batch;
    System.arraycopy(sample, 0, shape, 1, sample.length);
    return shape;
  }

  /** Checks {@code in} against {@code [batch] + sample}, static dimensions only. */
  private static void checkDims(ValueInfo in, long[] sample, String what) {
    if (in.dims() == null) {
      return;
    }
    List<Dim> dims = in.dims();
    String expected = "[batch" + (sample.length == 0 ? "" : ", " + join(sample)) + "]";
    if (dims.size() != sample.length + 1) {
      throw new IllegalArgumentException("model input '" + in.name() + "' has shape " + in.shapeText() + " but "
          + what + " makes " + expected);
    }
    for (int i = 0; i < sample.length; i++) {
      Dim d = dims.get(i + 1);
      if (d.isKnown() && d.size() != sample[i]) {
        throw new IllegalArgumentException("model input '" + in.name() + "' has shape " + in.shapeText() + " but "
            + what + " makes " + expected);
      }
    }
  }

  private static String join(long[] shape) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      b.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    return b.toString();
  }

  private static ValueInfo find(List<ValueInfo> modelInputs, String name, String key) {
    for (ValueInfo v : modelInputs) {
      if (v.name().equals(name)) {
        return v;
      }
    }
    throw new IllegalArgumentException(key + " names '" + name + "', which is not a model input; model inputs are "
        + modelInputs.stream().map(ValueInfo::name).toList());
  }

  private IllegalArgumentException notFed(ValueInfo in, List<String> fed) {
    return new IllegalArgumentException("model input '" + in.name() + "' is not fed by --data-format "
        + format.cliName() + ", which feeds " + fed);
  }

  private List<Column> requireColumns() {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("data.columns is required for --data-format " + format.cliName()
          + ": list the columns as {column, input, shape, type}");
    }
    return columns;
  }

  private void requireTokenizer(byte[] tokenizer) {
    if (tokenizer == null) {
      throw new IllegalArgumentException("--tokenizer is required for --data-format " + format.cliName());
    }
  }

  /**
   * Where each sample's class label comes from. Labels are class indexes {@code 0..classes-1}:
   * <ul>
   *   <li>{@link DataFormat#JSONL}: the field {@code source} of each object, an integer index or one of
   *       {@code classes} by name;
   *   <li>{@link DataFormat#PARQUET}, {@link DataFormat#ARROW}: the integer column {@code source};
   *   <li>{@link DataFormat#IMAGES}: the name of the directory that holds the image, one of {@code classes}
   *       ({@code source} is not used).
   * </ul>
   *
   * @param source the field or column, null for images
   * @param classes class names in index order; required for images, optional otherwise (then integer labels must be
   *     below its size)
   */
  public record Labels(String source, List<String> classes) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Labels {
      if (source != null && source.isBlank()) {
        throw new IllegalArgumentException("data.label.field must not be empty");
      }
      classes = List.copyOf(classes);
      if (new HashSet<>(classes).size() != classes.size() || classes.stream().anyMatch(String::isEmpty)) {
        throw new IllegalArgumentException("data.label.classes must be distinct non-empty names, found " + classes);
      }
    }

    void checkFor(DataFormat format) {
      switch (format) {
        case TEXT -> throw new IllegalArgumentException("data.label: text lines carry no labels; use --data-format"
            + " jsonl with data.label.field");
        case IMAGES -> {
          if (source != null) {
            throw new IllegalArgumentException("data.label: images are labelled by the directory that holds them;"
                + " list the directory names in data.label.classes instead of a field or column");
          }
          if (classes.isEmpty()) {
            throw new IllegalArgumentException("data.label.classes is required for --data-format images: the"
                + " directory names, in class order");
          }
        }
        default -> {
          if (source == null) {
            throw new IllegalArgumentException("data.label needs the " + (format.isTabular() ? "column" : "field")
                + " that holds the labels for --data-format " + format.cliName());
          }
        }
      }
    }

    /**
     * The class index of a label found as {@code value} in {@code where}: a non-negative integer (below the number
     * of classes if they are named), or a class name.
     */
    long index(Object value, String where) {
      if (value instanceof Long n) {
        if (n < 0 || (!classes.isEmpty() && n >= classes.size())) {
          throw new IllegalArgumentException(where + ": label " + n + " is not a class index"
              + (classes.isEmpty() ? " (0 or more)" : " below " + classes.size() + " (data.label.classes)"));
        }
        return n;
      }
      int i = classes.indexOf(String.valueOf(value));
      if (i < 0) {
        throw new IllegalArgumentException(where + ": label '" + value + "' is not one of data.label.classes "
            + classes);
      }
      return i;
    }
  }

  /**
   * Image preprocessing: decode, resize, reorder channels, normalize {@code (x * scale - mean) / std} per channel, lay
   * out as {@link Layout#NCHW} or {@link Layout#NHWC}.
   *
   * @param input the model input fed, or null for the model's only float input (see {@link DataConfig#bindTo})
   * @param resize {@link Resize#FIXED} to {@code height x width}, or {@link Resize#HEIGHT_KEEP_ASPECT}: to
   *     {@code height} keeping the aspect ratio, width {@code min(width, ceil(w * height / h))}, then right-padded with
   *     {@code padValue} up to {@code width}
   * @param height output height
   * @param width output width ({@code fixed}) or maximum and padded width ({@code height_keep_aspect})
   * @param padValue the value of padded positions in the output tensor (after normalization)
   * @param channels channel order of the output
   * @param scale factor applied to the 0..255 pixel values first; a scale of {@code 1/n} for an integer {@code n}
   *     is applied as a division by {@code n}, bit for bit what {@code x / 255f} gives
   * @param mean per output channel, subtracted after scaling (3 values, in output channel order)
   * @param std per output channel, divided by last (3 values, none zero)
   * @param layout tensor layout
   */
  public record Images(
      String input,
      Resize resize,
      int height,
      int width,
      float padValue,
      Channels channels,
      double scale,
      List<Double> mean,
      List<Double> std,
      Layout layout)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** 224 x 224, RGB, {@code x / 255}, no mean or std, NCHW. */
    public static final Images DEFAULT = new Images(null, Resize.FIXED, 224, 224, 0f, Channels.RGB, 1 / 255.0,
        List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), Layout.NCHW);

    public Images {
      if (input != null && input.isBlank()) {
        throw new IllegalArgumentException("data.images.input must not be empty");
      }
      Objects.requireNonNull(resize, "resize");
      Objects.requireNonNull(channels, "channels");
      Objects.requireNonNull(layout, "layout");
      if (height < 1 || height > 16384) {
        throw new IllegalArgumentException("data.images.height must be between 1 and 16384, found " + height);
      }
      String widthKey = resize == Resize.FIXED ? "data.images.width" : "data.images.max_width";
      if (width < 1 || width > 16384) {
        throw new IllegalArgumentException(widthKey + " must be between 1 and 16384, found " + width);
      }
      if (!Float.isFinite(padValue)) {
        throw new IllegalArgumentException("data.images.pad_value must be finite, found " + padValue);
      }
      if (!(scale > 0) || !Double.isFinite(scale)) {
        throw new IllegalArgumentException("data.images.scale must be positive, found " + scale);
      }
      mean = three(mean, "mean");
      std = three(std, "std");
      for (double s : std) {
        if (s == 0) {
          throw new IllegalArgumentException("data.images.std must not contain 0, found " + std);
        }
      }
    }

    private static List<Double> three(List<Double> values, String key) {
      if (values == null || values.size() != 3 || values.stream().anyMatch(v -> v == null || !Double.isFinite(v))) {
        throw new IllegalArgumentException("data.images." + key + " must be 3 finite numbers, found " + values);
      }
      return List.copyOf(values);
    }

    /**
     * PaddleOCR's text-line preprocessing: height {@code height}, width up to {@code maxWidth} keeping the aspect
     * ratio, zero right padding, BGR, {@code (x / 255 - 0.5) / 0.5}, NCHW.
     */
    public static Images paddleOcrLine(int height, int maxWidth) {
      return new Images(null, Resize.HEIGHT_KEEP_ASPECT, height, maxWidth, 0f, Channels.BGR, 1 / 255.0,
          List.of(0.5, 0.5, 0.5), List.of(0.5, 0.5, 0.5), Layout.NCHW);
    }

    public Images withInput(String input) {
      return new Images(input, resize, height, width, padValue, channels, scale, mean, std, layout);
    }

    /** Shape of one sample, without the batch dimension. */
    public long[] sampleShape() {
      return layout == Layout.NCHW ? new long[] {3, height, width} : new long[] {height, width, 3};
    }

    /** How images are brought to the model's size. */
    public enum Resize {
      FIXED,
      HEIGHT_KEEP_ASPECT
    }

    /** Channel order of the output. */
    public enum Channels {
      RGB,
      BGR
    }

    /** Tensor layout: channels first or last. */
    public enum Layout {
      NCHW,
      NHWC
    }
  }

  /**
   * One numeric column of Parquet or Arrow rows feeding one model input. A column holds a number, a list of numbers
   * or a fixed-size list of numbers per row (nested lists are flattened in row-major order); each row must hold
   * exactly the number of values {@code shape} has. The batch is the rows stacked: {@code [batch] + shape}.
   *
   * @param column the column name in the files
   * @param input the model input it feeds (defaults to the column name)
   * @param shape the per-sample shape (empty for one number per row)
   * @param type the element type fed to the model
   */
  public record Column(String column, String input, List<Long> shape, ColumnType type) implements Serializable {
    private static final long serialVersionUID = 1L;

    public Column {
      if (column == null || column.isBlank()) {
        throw new IllegalArgumentException("data.columns: 'column' must be a non-empty column name");
      }
      input = input == null ? column : input;
      if (input.isBlank()) {
        throw new IllegalArgumentException("data.columns[" + column + "].input must not be empty");
      }
      shape = List.copyOf(shape);
      long n = 1;
      for (Long d : shape) {
        if (d == null || d < 1) {
          throw new IllegalArgumentException("data.columns[" + column + "].shape must be positive sizes, found "
              + shape);
        }
        n *= d;
        if (n > Integer.MAX_VALUE / 8) {
          throw new IllegalArgumentException("data.columns[" + column + "].shape " + shape + " is too large");
        }
      }
      Objects.requireNonNull(type, "type");
    }

    /** Values per row. */
    public int elementCount() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return (int) n;
    }

    long[] shapeArray() {
      return shape.stream().mapToLong(Long::longValue).toArray();
    }
  }

  /** Element types a column can feed. */
  public enum ColumnType {
    FLOAT32(DataType.FLOAT),
    INT64(DataType.INT64),
    INT32(DataType.INT32);

    private final DataType dataType;

    ColumnType(DataType dataType) {
      this.dataType = dataType;
    }

    /** The model's element type. */
    public DataType dataType() {
      return dataType;
    }

    /** Whether values are integers. */
    public boolean isInteger() {
      return this != FLOAT32;
    }

    /** The name used in config files, e.g. {@code float32}. */
    public String yamlName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static java.util.Optional<ColumnType> forDataType(DataType t) {
      for (ColumnType c : values()) {
        if (c.dataType == t) {
          return java.util.Optional.of(c);
        }
      }
      return java.util.Optional.empty();
    }
  }
}
