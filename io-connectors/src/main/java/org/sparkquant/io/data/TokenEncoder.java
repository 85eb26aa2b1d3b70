package org.sparkquant.io.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparkquant.core.graph.Tensor;

/**
 * Text to token tensors with a Hugging Face tokenizer built from the bytes of a {@code tokenizer.json} (no file or
 * download needed on the executor): truncated to {@code maxLength}, padded to the longest sample of the batch. The
 * observe mask is the attention mask.
 */
final class TokenEncoder implements BatchEncoder {
  private final HuggingFaceTokenizer tokenizer;
  private final List<String> outputs;
  private boolean closed;

  TokenEncoder(byte[] tokenizerJson, int maxLength, List<String> outputs) {
    this.tokenizer = load(tokenizerJson, maxLength, "tokenizer");
    this.outputs = List.copyOf(outputs);
  }

  /** A tokenizer padding to the longest sample and truncating to {@code maxLength}; {@code where} names it. */
  static HuggingFaceTokenizer load(byte[] json, int maxLength, String where) {
    Map<String, String> options = Map.of(
        "padding", "true", "truncation", "true", "maxLength", Integer.toString(maxLength));
    try {
      return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
    } catch (IOException e) {
      throw new UncheckedIOException(where + " could not be read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + " is not a Hugging Face tokenizer.json: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }

  @Override
  public EncodedBatch encode(List<byte[]> payloads) {
    if (closed) {
      throw new IllegalStateException("text encoder is closed");
    }
    if (payloads.isEmpty()) {
      throw new IllegalArgumentException("cannot encode an empty batch");
    }
    List<String> texts = new ArrayList<>(payloads.size());
    for (byte[] p : payloads) {
      texts.add(new String(p, StandardCharsets.UTF_8));
    }
    Encoding[] enc = tokenizer.batchEncode(texts);
    int n = enc.length;
    int len = enc[0].getIds().length;
    long[] ids = new long[n * len];
    long[] mask = new long[n * len];
    long[] types = new long[n * len];
    for (int i = 0; i < n; i++) {
      if (enc[i].getIds().length != len) {
        throw new IllegalStateException("tokenizer did not pad the batch to one length");
      }
      System.arraycopy(enc[i].getIds(), 0, ids, i * len, len);
      System.arraycopy(enc[i].getAttentionMask(), 0, mask, i * len, len);
      System.arraycopy(enc[i].getTypeIds(), 0, types, i * len, len);
    }
    long[] shape = {n, len};
    Tensor maskTensor = Tensor.ofLongs(shape, mask);
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    for (String name : outputs) {
      inputs.put(name, switch (name) {
        case DataConfig.INPUT_IDS -> Tensor.ofLongs(shape, ids);
        case DataConfig.ATTENTION_MASK -> maskTensor;
        case DataConfig.TOKEN_TYPE_IDS -> Tensor.ofLongs(shape, types);
        default -> throw new IllegalStateException("unknown token input " + name);
      });
    }
    return new EncodedBatch(inputs, maskTensor);
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      tokenizer.close();
    }
  }
}
