package org.sparkquant.io.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.io.onnx.MiniLmInputs;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OrtReference;
import org.sparkquant.io.onnx.TestModels;

class TokenEncoderTest {
  private static byte[] tokenizer;
  private static List<ValueInfo> miniLmInputs;

  @BeforeAll
  static void load() throws IOException {
    tokenizer = TokenizerFiles.read(TestModels.path(TestModels.MINILM_TOKENIZER));
    Graph model = new OnnxModelReader().read(TestModels.path(TestModels.MINILM));
    miniLmInputs = model.inputs();
  }

  private static List<byte[]> payloads(List<String> texts) {
    return texts.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
  }

  @Test
  void batchesArePaddedToTheirLongestSampleAndMaskedThere() {
    try (BatchEncoder enc = DataFormats.newEncoder(DataConfig.defaults(DataFormat.TEXT), tokenizer)) {
      EncodedBatch b = enc.encode(payloads(List.of("hi", "a somewhat longer sentence with more tokens")));
      Tensor ids = b.inputs().get("input_ids");
      long len = ids.shape()[1];
      assertArrayEquals(new long[] {2, len}, ids.shape());
      assertTrue(len < 128, "padded to the batch, not to max_length");
      long[] mask = b.observeMask().longs();
      long real0 = java.util.Arrays.stream(mask, 0, (int) len).sum();
      long real1 = java.util.Arrays.stream(mask, (int) len, (int) (2 * len)).sum();
      assertEquals(3, real0, "[CLS] hi [SEP]");
      assertEquals(len, real1, "the longest sample has no padding");
      long[] idv = ids.longs();
      for (int i = (int) real0; i < len; i++) {
        assertEquals(0, idv[i], "padding id");
        assertEquals(0, mask[i]);
      }
      assertSame(b.inputs().get("attention_mask"), b.observeMask());
      assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), List.copyOf(b.inputs().keySet()));
    }
  }

  @Test
  void longSamplesAreTruncatedToMaxLength() {
    String longText = "word ".repeat(100);
    try (BatchEncoder enc = DataFormats.newEncoder(DataConfig.defaults(DataFormat.TEXT).withMaxLength(16), tokenizer)) {
      EncodedBatch b = enc.encode(payloads(List.of(longText, "short")));
      assertArrayEquals(new long[] {2, 16}, b.inputs().get("input_ids").shape());
      long[] mask = b.observeMask().longs();
      assertEquals(16, java.util.Arrays.stream(mask, 0, 16).sum());
      assertEquals(102, b.inputs().get("input_ids").longs()[15], "truncation keeps [SEP] last");
    }
  }

  @Test
  void tokensEqualTheReferenceTokenizationOfMiniLm() throws IOException {
    List<String> sentences = MiniLmInputs.sentences();
    Map<String, OrtReference.Input> expected = MiniLmInputs.tokenize(sentences);
    DataConfig config = ModelFit.bind(DataConfig.defaults(DataFormat.TEXT), miniLmInputs);
    try (BatchEncoder enc = DataFormats.newEncoder(config, tokenizer)) {
      EncodedBatch b = enc.encode(payloads(sentences));
      assertEquals(expected.keySet(), b.inputs().keySet());
      for (String name : expected.keySet()) {
        assertArrayEquals(expected.get(name).shape(), b.inputs().get(name).shape(), name);
        assertArrayEquals((long[]) expected.get(name).data(), b.inputs().get(name).longs(), name);
      }
    }
  }

  @Test
  void onlyTheInputsTheModelHasAreProduced() {
    List<ValueInfo> twoInputs = miniLmInputs.stream().filter(v -> !v.name().equals("token_type_ids")).toList();
    DataConfig config = ModelFit.bind(DataConfig.defaults(DataFormat.JSONL), twoInputs);
    assertEquals(List.of("input_ids", "attention_mask"), config.tokenInputs());
    try (BatchEncoder enc = DataFormats.newEncoder(config, tokenizer)) {
      EncodedBatch b = enc.encode(payloads(List.of("one", "two")));
      assertEquals(List.of("input_ids", "attention_mask"), List.copyOf(b.inputs().keySet()));
      assertEquals(b.inputs().get("attention_mask"), b.observeMask());
    }
  }

  @Test
  void closedEncodersRefuseWork() {
    BatchEncoder enc = DataFormats.newEncoder(DataConfig.defaults(DataFormat.TEXT), tokenizer);
    enc.close();
    enc.close();
    assertThrows(IllegalStateException.class, () -> enc.encode(payloads(List.of("x"))));
  }

  @Test
  void textWithoutTokenizerIsAnError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DataFormats.newEncoder(DataConfig.defaults(DataFormat.TEXT), null));
    assertEquals("--tokenizer is required for --data-format text", e.getMessage());
    IllegalArgumentException fits = assertThrows(IllegalArgumentException.class,
        () -> ModelFit.check(DataConfig.defaults(DataFormat.JSONL), miniLmInputs, null));
    assertEquals("--tokenizer is required for --data-format jsonl", fits.getMessage());
    ModelFit.check(DataConfig.defaults(DataFormat.TEXT), miniLmInputs, tokenizer);
  }

  @Test
  void badTokenizerFilesAreOneLineErrorsNamingTheFile(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("none.json");
    IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class, () -> TokenizerFiles.read(missing));
    assertEquals("tokenizer '" + missing + "' does not exist", e1.getMessage());

    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"model\": ");
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> TokenizerFiles.read(broken));
    assertTrue(e2.getMessage().startsWith("tokenizer '" + broken + "' is not valid JSON: "), e2.getMessage());

    Path other = Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 384}");
    IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> TokenizerFiles.read(other));
    assertEquals("tokenizer '" + other + "' is not a Hugging Face tokenizer.json (it has no 'model' object)",
        e3.getMessage());

    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"model\": {\"type\": \"Nonsense\"}}");
    IllegalArgumentException e4 = assertThrows(IllegalArgumentException.class, () -> TokenizerFiles.read(bad));
    assertTrue(e4.getMessage().startsWith("tokenizer '" + bad + "'"), e4.getMessage());
    for (IllegalArgumentException e : List.of(e1, e2, e3, e4)) {
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }
}
