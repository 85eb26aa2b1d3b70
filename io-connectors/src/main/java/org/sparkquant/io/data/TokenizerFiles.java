package org.sparkquant.io.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.sparkquant.io.fs.FileStore;

/**
 * Reads and checks a Hugging Face {@code tokenizer.json} on the driver, so that a wrong {@code --tokenizer} fails
 * before any job starts; executors then get the bytes, not the path.
 */
public final class TokenizerFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenizerFiles() {}

  /**
   * The bytes of the tokenizer at {@code location} on any file system of {@code store}, checked to be a loadable
   * tokenizer.
   *
   * @throws IllegalArgumentException one line naming the file, if it is missing, not JSON or not a tokenizer
   */
  public static byte[] read(FileStore store, String location) {
    byte[] bytes = store.readFile(location, "tokenizer");
    check(bytes, "tokenizer '" + location + "'");
    return bytes;
  }

  /** The bytes of the tokenizer at local {@code file}, checked. */
  public static byte[] read(Path file) {
    return read(FileStore.defaults(), file.toString());
  }

  /**
   * Checks that {@code bytes} are a Hugging Face {@code tokenizer.json}; {@code where} names the source in errors.
   *
   * @throws IllegalArgumentException one line naming the source
   */
  public static void check(byte[] bytes, String where) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + " is not valid JSON: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
    if (root == null || !root.isObject() || !root.path("model").isObject()) {
      throw new IllegalArgumentException(where + " is not a Hugging Face tokenizer.json (it has no 'model' object)");
    }
    try (HuggingFaceTokenizer t = TokenEncoder.load(bytes, DataConfig.DEFAULT_MAX_LENGTH, where)) {
      t.encode("check");
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + " could not be used: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
    }
  }
}
