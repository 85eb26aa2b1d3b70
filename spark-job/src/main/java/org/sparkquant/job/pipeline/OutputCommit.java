package org.sparkquant.job.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.OutputStream;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.io.fs.FileStore;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.io.output.AtomicDirectory;

/**
 * Writes an output directory all at once: {@code model.onnx}, {@code report.json} (the typed report in its JSON form,
 * snake_case keys) and whatever a command adds, into a temporary directory that is renamed into place and then marked
 * with {@code _SUCCESS}.
 */
public final class OutputCommit {
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT);

  private OutputCommit() {}

  /** Writes {@code model} and {@code report}, then what {@code more} adds, to {@code output} atomically. */
  static void write(FileStore store, String output, boolean overwrite, Graph model, Object report,
      AtomicDirectory.Writer more) {
    AtomicDirectory.write(store, output, overwrite, dir -> {
      try (OutputStream out = dir.create("model.onnx")) {
        new OnnxModelWriter().write(model, out);
      }
      JSON.writeValue(dir.create("report.json"), report);
      more.writeTo(dir);
    });
  }
}
