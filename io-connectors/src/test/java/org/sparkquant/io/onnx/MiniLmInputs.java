package org.sparkquant.io.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Real sentences and MiniLM inputs made from them with the model's own tokenizer.json. */
public final class MiniLmInputs {
  private MiniLmInputs() {}

  /** The 32 sentences of {@code text/parity-sentences.txt}. */
  public static List<String> sentences() throws IOException {
    try (InputStream in = MiniLmInputs.class.getResourceAsStream("/text/parity-sentences.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(s -> !s.isBlank()).toList();
    }
  }

  /** Token ids, mask and type ids for MiniLM, padded to the longest sentence. */
  public static Map<String, OrtReference.Input> tokenize(List<String> texts) throws IOException {
    try (HuggingFaceTokenizer tok =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(TestModels.path(TestModels.MINILM_TOKENIZER))
            .optPadding(true)
            .optTruncation(true)
            .optMaxLength(128)
            .build()) {
      Encoding[] enc = tok.batchEncode(texts);
      int len = enc[0].getIds().length;
      long[] ids = new long[texts.size() * len];
      long[] mask = new long[ids.length];
      long[] types = new long[ids.length];
      for (int i = 0; i < enc.length; i++) {
        System.arraycopy(enc[i].getIds(), 0, ids, i * len, len);
        System.arraycopy(enc[i].getAttentionMask(), 0, mask, i * len, len);
        System.arraycopy(enc[i].getTypeIds(), 0, types, i * len, len);
      }
      long[] shape = {texts.size(), len};
      Map<String, OrtReference.Input> in = new HashMap<>();
      in.put("input_ids", new OrtReference.Input(ids, shape));
      in.put("attention_mask", new OrtReference.Input(mask, shape));
      in.put("token_type_ids", new OrtReference.Input(types, shape));
      return in;
    }
  }

}
