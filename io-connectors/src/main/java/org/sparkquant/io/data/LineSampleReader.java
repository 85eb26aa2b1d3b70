package org.sparkquant.io.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Text and JSON lines: one sample per non-blank line (LF or CRLF, a leading byte-order mark ignored), strictly UTF-8.
 * For text the payload is the line's UTF-8 bytes; for JSON lines it is the UTF-8 bytes of one string field of the
 * object on the line, followed by the label ({@link LabelledEncoder#withLabel}) when the data is labelled. Errors name
 * {@code file:line}.
 */
final class LineSampleReader implements SampleReader {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The JSON field to take, or null for plain text. */
  private final String field;
  /** Where JSON lines hold their labels, or null. */
  private final Labels labels;

  LineSampleReader(String field, Labels labels) {
    this.field = field;
    this.labels = labels;
  }

  @Override
  public CloseableIterator<byte[]> read(String uri, Configuration conf) throws IOException {
    Path path = new Path(uri);
    InputStream in = new BufferedInputStream(path.getFileSystem(conf).open(path), 1 << 16);
    return new Lines(uri, in);
  }

  private final class Lines implements CloseableIterator<byte[]> {
    private final String uri;
    private final InputStream in;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int lineNumber;
    private byte[] next;
    private boolean done;

    Lines(String uri, InputStream in) {
      this.uri = uri;
      this.in = in;
    }

    @Override
    public boolean hasNext() {
      while (next == null && !done) {
        byte[] raw = readLine();
        if (raw == null) {
          done = true;
          break;
        }
        String text = decode(raw);
        if (!text.isBlank()) {
          next = field == null ? raw : fieldOf(text);
        }
      }
      return next != null;
    }

    @Override
    public byte[] next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      byte[] out = next;
      next = null;
      return out;
    }

    /** The next line without its terminator, or null at the end of the file. */
    private byte[] readLine() {
      try {
        line.reset();
        int b = in.read();
        if (b < 0) {
          return null;
        }
        while (b >= 0 && b != '\n') {
          line.write(b);
          b = in.read();
        }
        lineNumber++;
        byte[] raw = line.toByteArray();
        int end = raw.length > 0 && raw[raw.length - 1] == '\r' ? raw.length - 1 : raw.length;
        int start = lineNumber == 1 && raw.length >= 3 && (raw[0] & 0xff) == 0xEF && (raw[1] & 0xff) == 0xBB
            && (raw[2] & 0xff) == 0xBF ? 3 : 0;
        if (start == 0 && end == raw.length) {
          return raw;
        }
        byte[] trimmed = new byte[Math.max(0, end - start)];
        System.arraycopy(raw, start, trimmed, 0, trimmed.length);
        return trimmed;
      } catch (IOException e) {
        throw new UncheckedIOException(uri + ":" + (lineNumber + 1) + ": read failed: " + e.getMessage(), e);
      }
    }

    private String decode(byte[] raw) {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(raw))
            .toString();
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException(uri + ":" + lineNumber + ": not valid UTF-8; data files must be UTF-8");
      }
    }

    private byte[] fieldOf(String text) {
      JsonNode node;
      try {
        node = JSON.readTree(text);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(uri + ":" + lineNumber + ": not valid JSON: "
            + e.getOriginalMessage().lines().findFirst().orElse(""));
      }
      if (node == null || !node.isObject()) {
        throw new IllegalArgumentException(uri + ":" + lineNumber + ": expected a JSON object with a string field '"
            + field + "'");
      }
      JsonNode value = node.get(field);
      if (value == null || value.isNull()) {
        throw new IllegalArgumentException(uri + ":" + lineNumber + ": field '" + field
            + "' is missing; set data.field to the field that holds the text");
      }
      if (!value.isTextual()) {
        throw new IllegalArgumentException(uri + ":" + lineNumber + ": field '" + field + "' must be a string, found "
            + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
      }
      byte[] utf8 = value.textValue().getBytes(StandardCharsets.UTF_8);
      return labels == null ? utf8 : LabelledEncoder.withLabel(utf8, label(node));
    }

    private long label(JsonNode node) {
      String where = uri + ":" + lineNumber;
      JsonNode v = node.get(labels.source());
      if (v == null || v.isNull()) {
        throw new IllegalArgumentException(where + ": label field '" + labels.source() + "' is missing");
      }
      if (v.isIntegralNumber() && v.canConvertToLong()) {
        return labels.index(v.longValue(), where);
      }
      if (v.isTextual()) {
        return labels.index(v.textValue(), where);
      }
      throw new IllegalArgumentException(where + ": label field '" + labels.source() + "' must be a class index or"
          + " a class name, found " + v);
    }

    @Override
    public void close() throws IOException {
      done = true;
      in.close();
    }
  }
}
