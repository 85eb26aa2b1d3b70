package org.sparkquant.io.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.data.BatchEncoder;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.Column;
import org.sparkquant.io.data.ColumnType;
import org.sparkquant.io.data.DataFormats;
import org.sparkquant.io.data.Images;
import org.sparkquant.io.data.DataFormat;
import org.sparkquant.io.data.ImagePayload;
import org.sparkquant.io.data.Labels;
import org.sparkquant.io.data.ModelFit;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.io.onnx.TextLines;

class DataConfigFilesTest {
  private static final DataConfig TEXT = DataConfig.defaults(DataFormat.TEXT);
  private static final Path EXAMPLES = Path.of("..", "conf", "examples");

  private static String error(String yaml) {
    return assertThrows(IllegalArgumentException.class, () -> DataConfigFiles.parse(yaml, "test", TEXT))
        .getMessage();
  }

  @Test
  void noDataSectionGivesTheDefaults() {
    assertSame(TEXT, DataConfigFiles.parse("version: 1\npreset: w8\n", "test", TEXT));
  }

  @Test
  void keysOverrideTheDefaults() {
    DataConfig c = DataConfigFiles.parse("data: {format: jsonl, field: prompt, max_length: 64}", "test", TEXT);
    assertEquals(TEXT.withFormat(DataFormat.JSONL).withField("prompt").withMaxLength(64), c);
    DataConfig t = DataConfigFiles.parse("""
        data:
          format: parquet
          columns:
            - {column: pixels, input: x, shape: [3, 32, 32]}
            - {column: ids, shape: [8], type: int64}
        """, "test", TEXT);
    assertEquals(List.of(new Column("pixels", "x", List.of(3L, 32L, 32L), ColumnType.FLOAT32),
        new Column("ids", "ids", List.of(8L), ColumnType.INT64)), t.columns());
    DataConfig i = DataConfigFiles.parse("data: {format: images, images: {scale: 1/255, height: 32, width: 100}}",
        "test", TEXT);
    assertEquals(1 / 255.0, i.images().scale());
    assertEquals(Images.DEFAULT.channels(), i.images().channels());
    assertEquals(100, i.images().width());
  }

  @Test
  void unknownKeysAndBadValuesNameTheKeyPath() {
    assertEquals("test: unknown key 'data.formt'; expected one of [columns, field, format, images, label,"
        + " max_length]", error("data: {formt: text}"));
    assertEquals("test: unknown key 'data.images.hieght'; expected one of [channels, height, input, layout,"
        + " max_width, mean, pad_value, resize, scale, std, width]", error("data: {images: {hieght: 3}}"));
    assertEquals("test: unknown key 'data.columns[1].dtype'; expected one of [column, input, shape, type]",
        error("data: {columns: [{column: a}, {column: b, dtype: float32}]}"));
    assertEquals("test: 'data.format' is 'csv'; expected one of [text, jsonl, images, parquet, arrow]",
        error("data: {format: csv}"));
    assertEquals("test: 'data.max_length' must be an integer, found \"long\"", error("data: {max_length: long}"));
    assertEquals("test: data.max_length must be between 1 and 1048576, found -1", error("data: {max_length: -1}"));
    assertEquals("test: 'data.images.width' does not apply to resize height_keep_aspect; use"
        + " 'data.images.max_width'", error("data: {images: {resize: height_keep_aspect, width: 3}}"));
    assertEquals("test: data.images.mean must be 3 finite numbers, found [0.5, 0.5]",
        error("data: {images: {mean: [0.5, 0.5]}}"));
    assertEquals("test: 'data.images.channels' is 'GBR'; expected one of [rgb, bgr]",
        error("data: {images: {channels: GBR}}"));
    assertEquals("test: 'data.columns[0].shape' must be a list of sizes, found [3,\"x\"]",
        error("data: {columns: [{column: a, shape: [3, x]}]}"));
    assertEquals("test: 'data' must be a mapping", error("data: images"));
  }

  @Test
  void labelsComeFromAFieldAColumnOrTheImageDirectories() {
    assertEquals(new Labels("label", List.of()),
        DataConfigFiles.parse("data: {format: jsonl, label: {field: label}}", "test", TEXT).labels());
    assertEquals(new Labels("y", List.of()), DataConfigFiles.parse(
        "data: {format: parquet, columns: [{column: x}], label: {column: y}}", "test", TEXT).labels());
    assertEquals(new Labels(null, List.of("0", "180")),
        DataConfigFiles.parse("data: {format: images, label: {classes: [0, 180]}}", "test", TEXT).labels());
    assertEquals(null, DataConfigFiles.parse("data: {format: jsonl}", "test", TEXT).labels());

    assertEquals("test: unknown key 'data.label.feild'; expected one of [classes, column, field]",
        error("data: {format: jsonl, label: {feild: y}}"));
    assertEquals("test: 'data.label' takes 'field' (jsonl) or 'column' (parquet, arrow), not both",
        error("data: {format: jsonl, label: {field: y, column: y}}"));
    assertEquals("test: data.label: text lines carry no labels; use --data-format jsonl with data.label.field",
        error("data: {format: text, label: {field: y}}"));
    assertEquals("test: data.label.classes is required for --data-format images: the directory names, in class"
        + " order", error("data: {format: images, label: {}}"));
    assertEquals("test: data.label: images are labelled by the directory that holds them; list the directory names"
        + " in data.label.classes instead of a field or column",
        error("data: {format: images, label: {field: y, classes: [a]}}"));
    assertEquals("test: data.label needs the column that holds the labels for --data-format arrow",
        error("data: {format: arrow, label: {classes: [a, b]}}"));
    assertEquals("test: data.label.classes must be distinct non-empty names, found [a, a]",
        error("data: {format: jsonl, label: {field: y, classes: [a, a]}}"));
    assertEquals("test: 'data.label.classes' must be a list of names, found \"a\"",
        error("data: {format: jsonl, label: {field: y, classes: a}}"));
  }

  @Test
  void quantizerConfigFilesAcceptTheDataSection() {
    QuantizerConfig q = QuantizerConfigFiles.parse("version: 1\npreset: w8\ndata: {format: text}\n", "test");
    assertEquals(QuantizerConfig.preset("w8"), q);
  }

  @Test
  void minilmExampleParses() {
    Path file = EXAMPLES.resolve("minilm.yaml");
    assertEquals("w8a8", QuantizerConfigFiles.read(file).preset());
    DataConfig c = DataConfigFiles.read(file, DataConfig.defaults(DataFormat.IMAGES));
    assertEquals(DataFormat.TEXT, c.format());
    assertEquals(128, c.maxLength());
    ModelFit.check(c, new OnnxModelReader().read(TestModels.path(TestModels.MINILM)).inputs());
  }

  @Test
  void ppocrClsExamplePreprocessesAsPaddleOcr() throws IOException {
    Path file = EXAMPLES.resolve("ppocr-cls.yaml");
    assertEquals("w8a8", QuantizerConfigFiles.read(file).preset());
    DataConfig c = ModelFit.bind(DataConfigFiles.read(file, TEXT),
        new OnnxModelReader().read(TestModels.path(TestModels.OCR_CLS)).inputs());
    assertEquals(Images.paddleOcrLine(48, 192).withInput("x"), c.images());
    int n = 4;
    float[] expected = new float[n * 3 * 48 * 192];
    List<byte[]> payloads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      BufferedImage img = TextLines.render(TextLines.TEXTS[8 + i], i == 2, i);
      TextLines.toTensor(img, 48, 192, expected, i);
      ByteArrayOutputStream png = new ByteArrayOutputStream();
      ImageIO.write(img, "png", png);
      payloads.add(new ImagePayload("line" + i + ".png", png.toByteArray()).toBytes());
    }
    try (BatchEncoder enc = DataFormats.newEncoder(c, null)) {
      assertArrayEquals(expected, enc.encode(payloads).inputs().get("x").floats());
    }
  }
}
