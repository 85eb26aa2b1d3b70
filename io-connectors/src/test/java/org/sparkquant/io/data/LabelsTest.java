package org.sparkquant.io.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.io.onnx.TestModels;

class LabelsTest {
  private static final Images SMALL = new Images("x", Images.Resize.FIXED, 4, 4, 0f, Images.Channels.RGB, 1 / 255.0,
      List.of(0.0, 0.0, 0.0), List.of(1.0, 1.0, 1.0), Images.Layout.NCHW);

  private static EncodedBatch encode(DataConfig config, List<String> uris, byte[] tokenizer) throws IOException {
    List<byte[]> payloads = new ArrayList<>();
    for (String uri : uris) {
      payloads.addAll(Samples.readAll(DataFormats.reader(config), uri));
    }
    try (BatchEncoder enc = DataFormats.newEncoder(config, tokenizer)) {
      return enc.encode(payloads);
    }
  }

  private static String write(Path dir, String name, String text) throws IOException {
    Path f = dir.resolve(name);
    Files.createDirectories(f.getParent());
    return Files.writeString(f, text).toUri().toString();
  }

  @Test
  void jsonlLabelsAreIndexesOrClassNamesAndLeaveTheTokensAsTheyWere(@TempDir Path dir) throws IOException {
    byte[] tokenizer = TokenizerFiles.read(TestModels.path(TestModels.MINILM_TOKENIZER));
    String uri = write(dir, "a.jsonl", """
        {"text": "a good film", "label": "pos", "n": 1}
        {"text": "a bad film", "label": "neg", "n": 0}
        {"text": "fine", "label": "pos", "n": 1}
        """);
    DataConfig plain = DataConfig.defaults(DataFormat.JSONL);
    DataConfig named = plain.withLabels(new Labels("label", List.of("neg", "pos")));
    DataConfig indexed = plain.withLabels(new Labels("n", List.of()));
    EncodedBatch unlabelled = encode(plain, List.of(uri), tokenizer);
    EncodedBatch byName = encode(named, List.of(uri), tokenizer);
    EncodedBatch byIndex = encode(indexed, List.of(uri), tokenizer);
    assertNull(unlabelled.labels());
    for (EncodedBatch b : List.of(byName, byIndex)) {
      assertEquals(DataType.INT64, b.labels().dataType());
      assertArrayEquals(new long[] {3}, b.labels().shape());
      assertArrayEquals(new long[] {1, 0, 1}, b.labels().longs());
      assertEquals(unlabelled.inputs().keySet(), b.inputs().keySet());
      for (String input : b.inputs().keySet()) {
        assertArrayEquals(unlabelled.inputs().get(input).longs(), b.inputs().get(input).longs(), input);
      }
      assertArrayEquals(unlabelled.observeMask().longs(), b.observeMask().longs());
    }
  }

  @Test
  void badJsonlLabelsNameFileLineAndWhatWasExpected(@TempDir Path dir) throws IOException {
    DataConfig named = DataConfig.defaults(DataFormat.JSONL).withLabels(new Labels("label", List.of("neg", "pos")));
    DataConfig indexed = DataConfig.defaults(DataFormat.JSONL).withLabels(new Labels("label", List.of()));
    String missing = write(dir, "m.jsonl", "{\"text\": \"x\", \"label\": 0}\n{\"text\": \"y\"}\n");
    String unknown = write(dir, "u.jsonl", "{\"text\": \"x\", \"label\": \"maybe\"}\n");
    String range = write(dir, "r.jsonl", "{\"text\": \"x\", \"label\": 2}\n");
    String negative = write(dir, "n.jsonl", "{\"text\": \"x\", \"label\": -1}\n");
    String fraction = write(dir, "f.jsonl", "{\"text\": \"x\", \"label\": 0.5}\n");
    assertEquals(missing + ":2: label field 'label' is missing", error(named, missing));
    assertEquals(unknown + ":1: label 'maybe' is not one of data.label.classes [neg, pos]", error(named, unknown));
    assertEquals(range + ":1: label 2 is not a class index below 2 (data.label.classes)", error(named, range));
    assertEquals(negative + ":1: label -1 is not a class index (0 or more)", error(indexed, negative));
    assertEquals(fraction + ":1: label field 'label' must be a class index or a class name, found 0.5",
        error(indexed, fraction));
    assertEquals(unknown + ":1: label 'maybe' is not one of data.label.classes []", error(indexed, unknown));
  }

  private static String error(DataConfig config, String uri) {
    return assertThrows(IllegalArgumentException.class, () -> Samples.readAll(DataFormats.reader(config), uri))
        .getMessage();
  }

  @Test
  void imagesAreLabelledByTheirDirectory(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("180"));
    Files.createDirectories(dir.resolve("0"));
    Files.createDirectories(dir.resolve("other"));
    BufferedImage red = ImageEncoderTest.solid(5, 5, BufferedImage.TYPE_INT_RGB, Color.RED);
    String up = ImageEncoderTest.save(red, dir.resolve("0"), "a.png", "png");
    String down = ImageEncoderTest.save(red, dir.resolve("180"), "b.png", "png");
    String stray = ImageEncoderTest.save(red, dir.resolve("other"), "c.png", "png");
    DataConfig plain = DataConfig.defaults(DataFormat.IMAGES).withImages(SMALL);
    DataConfig labelled = plain.withLabels(new Labels(null, List.of("0", "180")));
    EncodedBatch b = encode(labelled, List.of(down, up, down), null);
    assertArrayEquals(new long[] {1, 0, 1}, b.labels().longs());
    Tensor unlabelled = encode(plain, List.of(down, up, down), null).inputs().get("x");
    assertArrayEquals(unlabelled.floats(), b.inputs().get("x").floats());

    String expected = "image '" + stray + "' is in directory 'other', which is not one of data.label.classes [0, 180]";
    assertEquals(expected, error(labelled, stray));
    assertEquals(expected, assertThrows(IllegalArgumentException.class,
        () -> ModelFit.checkLabelsOf(labelled, List.of(up, stray, down))).getMessage());
    ModelFit.checkLabelsOf(labelled, List.of(up, down));
    ModelFit.checkLabelsOf(plain, List.of(stray));
  }

  @Test
  void aPayloadWithoutItsLabelIsRefused() {
    DataConfig labelled = DataConfig.defaults(DataFormat.IMAGES).withImages(SMALL)
        .withLabels(new Labels(null, List.of("a")));
    try (BatchEncoder enc = DataFormats.newEncoder(labelled, null)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> enc.encode(List.of(new byte[3])));
      assertEquals("labelled payload 0 has 3 bytes, too short for a label (was it read with the same data.label?)",
          e.getMessage());
    }
  }
}
