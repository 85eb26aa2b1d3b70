package org.sparkquant.io.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The real models tests use, taken from test-scoped Maven artifacts on the class path and copied once per build into
 * {@code target/test-models}.
 */
public final class TestModels {
  public static final String MINILM = "all-minilm-l6-v2.onnx";
  public static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
  public static final String OCR_CLS = "models/ch_ppocr_mobile_v2.0_cls_infer.onnx";
  public static final String OCR_DET = "models/ch_PP-OCRv4_det_infer.onnx";
  public static final String OCR_REC = "models/ch_PP-OCRv4_rec_infer.onnx";

  private static final Path DIR = Path.of("target", "test-models");

  private TestModels() {}

  /** Path of a model resource on disk, copying it there on first use. */
  public static synchronized Path path(String resource) {
    Path target = DIR.resolve(resource.replace('/', '_')).toAbsolutePath();
    if (Files.exists(target)) {
      return target;
    }
    try (InputStream in = TestModels.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("test model " + resource + " is not on the class path");
      }
      Files.createDirectories(DIR);
      Path tmp = Files.createTempFile(DIR, "model", ".part");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
