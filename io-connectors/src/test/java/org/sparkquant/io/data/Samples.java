package org.sparkquant.io.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;

/** Test helpers: read every sample of a file. */
final class Samples {
  private Samples() {}

  static List<byte[]> readAll(SampleReader reader, String uri) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (CloseableIterator<byte[]> it = reader.read(uri, new Configuration())) {
      while (it.hasNext()) {
        out.add(it.next());
      }
    }
    return out;
  }

  static List<String> readText(SampleReader reader, String uri) throws IOException {
    return readAll(reader, uri).stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
  }
}
