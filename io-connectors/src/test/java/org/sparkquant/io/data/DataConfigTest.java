package org.sparkquant.io.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.TestModels;

class DataConfigTest {
  private static List<ValueInfo> miniLm;
  private static List<ValueInfo> ocrCls;

  @BeforeAll
  static void load() {
    miniLm = new OnnxModelReader().read(TestModels.path(TestModels.MINILM)).inputs();
    ocrCls = new OnnxModelReader().read(TestModels.path(TestModels.OCR_CLS)).inputs();
  }

  private static ValueInfo input(String name, DataType type, long... dims) {
    return new ValueInfo(name, type, java.util.Arrays.stream(dims)
        .mapToObj(d -> d < 0 ? Dim.symbolic("batch") : Dim.of(d)).toList());
  }

  private static String error(DataConfig config, List<ValueInfo> inputs) {
    return assertThrows(IllegalArgumentException.class, () -> ModelFit.check(config, inputs)).getMessage();
  }

  @Test
  void textFitsMiniLm() {
    ModelFit.check(DataConfig.defaults(DataFormat.TEXT), miniLm);
  }

  @Test
  void textNeedsInputIdsAndDynamicSequences() {
    DataConfig text = DataConfig.defaults(DataFormat.TEXT);
    assertEquals("model has no input 'input_ids', which --data-format text feeds; model inputs are [x]",
        error(text, List.of(input("x", DataType.FLOAT, -1, 3, 48, 192))));
    assertEquals("model input 'pixel_values' is not fed by --data-format text, which feeds"
            + " [input_ids, attention_mask, token_type_ids]",
        error(text, List.of(input("input_ids", DataType.INT64, -1, -1),
            input("pixel_values", DataType.FLOAT, -1, 3))));
    assertEquals("model input 'input_ids' is INT32; --data-format text feeds INT64 token tensors",
        error(text, List.of(input("input_ids", DataType.INT32, -1, -1))));
    assertEquals("model input 'input_ids' has a fixed sequence length 128; the text encoder pads each batch to its"
            + " longest sample (at most data.max_length), so the model needs a dynamic sequence dimension",
        error(text, List.of(input("input_ids", DataType.INT64, -1, 128))));
  }

  @Test
  void imagesBindToTheModelsOnlyFloatInputAndCheckItsShape() {
    DataConfig ppocr = DataConfig.defaults(DataFormat.IMAGES).withImages(Images.paddleOcrLine(48, 192));
    DataConfig bound = ModelFit.bind(ppocr, ocrCls);
    assertEquals(ocrCls.get(0).name(), bound.images().input());
    DataConfig tooTall = DataConfig.defaults(DataFormat.IMAGES).withImages(Images.paddleOcrLine(32, 192));
    List<ValueInfo> fixed = List.of(input("x", DataType.FLOAT, -1, 3, 48, 192));
    ModelFit.check(ppocr, fixed);
    assertEquals("model input 'x' has shape [batch,3,48,192] but data.images (height_keep_aspect, NCHW) makes"
        + " [batch, 3, 32, 192]", error(tooTall, fixed));
    DataConfig nhwc = DataConfig.defaults(DataFormat.IMAGES).withImages(new Images(null, Images.Resize.FIXED, 48,
        192, 0f, Images.Channels.BGR, 1.0, List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), Images.Layout.NHWC));
    assertEquals("model input 'x' has shape " + ocrCls.get(0).shapeText() + " but data.images (fixed, NHWC) makes"
        + " [batch, 48, 192, 3]", error(nhwc, ocrCls));
    assertEquals("model has 2 float inputs [a, b]; set data.images.input to the one that takes the images",
        error(ppocr, List.of(input("a", DataType.FLOAT, -1, 3, -1, -1), input("b", DataType.FLOAT, -1))));
    assertEquals("data.images.input names 'img', which is not a model input; model inputs are [x]",
        error(ppocr.withImages(ppocr.images().withInput("img")), ocrCls));
  }

  @Test
  void tabularColumnsMustMatchInputsTypesAndShapes() {
    List<ValueInfo> model = List.of(input("x", DataType.FLOAT, -1, 3, 32, 32), input("ids", DataType.INT64, -1, 8));
    DataConfig ok = DataConfig.defaults(DataFormat.PARQUET).withColumns(List.of(
        new Column("pixels", "x", List.of(3L, 32L, 32L), ColumnType.FLOAT32),
        new Column("ids", null, List.of(8L), ColumnType.INT64)));
    ModelFit.check(ok, model);
    assertEquals("data.columns is required for --data-format parquet: list the columns as {column, input, shape,"
        + " type}", error(DataConfig.defaults(DataFormat.PARQUET), model));
    assertEquals("model input 'ids' is not fed by --data-format arrow, which feeds [x]",
        error(ok.withFormat(DataFormat.ARROW).withColumns(ok.columns().subList(0, 1)), model));
    assertEquals("model input 'x' has shape [batch,3,32,32] but column 'pixels' shape makes [batch, 3072]",
        error(ok.withColumns(List.of(new Column("pixels", "x", List.of(3072L), ColumnType.FLOAT32),
            ok.columns().get(1))), model));
    assertEquals("model input 'ids' is INT64 but column 'ids' has type int32; set data.columns type to int64",
        error(ok.withColumns(List.of(ok.columns().get(0), new Column("ids", null, List.of(8L), ColumnType.INT32))),
            model));
    assertEquals("data.columns[pixels].input names 'z', which is not a model input; model inputs are [x, ids]",
        error(ok.withColumns(List.of(new Column("pixels", "z", List.of(3L, 32L, 32L), ColumnType.FLOAT32))),
            model));
  }

  @Test
  void invalidSettingsFailWhenBuilt() {
    assertEquals("data.max_length must be between 1 and 1048576, found 0",
        assertThrows(IllegalArgumentException.class,
            () -> DataConfig.defaults(DataFormat.TEXT).withMaxLength(0)).getMessage());
    assertEquals("data.images.std must not contain 0, found [0.5, 0.0, 0.5]",
        assertThrows(IllegalArgumentException.class, () -> new Images(null, Images.Resize.FIXED, 4, 4, 0f,
            Images.Channels.RGB, 1.0, List.of(0.0, 0.0, 0.0), List.of(0.5, 0.0, 0.5), Images.Layout.NCHW))
            .getMessage());
    assertEquals("data.columns: input 'x' is fed by two columns",
        assertThrows(IllegalArgumentException.class, () -> DataConfig.defaults(DataFormat.ARROW).withColumns(
            List.of(new Column("a", "x", List.of(), ColumnType.FLOAT32),
                new Column("b", "x", List.of(), ColumnType.FLOAT32)))).getMessage());
  }
}
