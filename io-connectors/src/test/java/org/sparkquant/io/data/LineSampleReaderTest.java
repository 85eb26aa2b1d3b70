package org.sparkquant.io.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineSampleReaderTest {
  private static final SampleReader TEXT = DataFormats.reader(DataConfig.defaults(DataFormat.TEXT));

  @Test
  void textSkipsBlankLinesAndHandlesCrlfAndBom(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("a.txt");
    Files.write(f, "\uFEFFfirst line\r\n\r\n   \nsecond\tline\nüñí 日本\r\nlast without newline"
        .getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("first line", "second\tline", "üñí 日本", "last without newline"),
        Samples.readText(TEXT, f.toUri().toString()));
  }

  @Test
  void malformedUtf8NamesFileAndLine(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("bad.txt");
    Files.write(f, new byte[] {'o', 'k', '\n', '\n', 'b', (byte) 0xC3, (byte) 0x28, '\n'});
    String uri = f.toUri().toString();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Samples.readAll(TEXT, uri));
    assertEquals(uri + ":3: not valid UTF-8; data files must be UTF-8", e.getMessage());
  }

  @Test
  void jsonlTakesTheConfiguredField(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("a.jsonl");
    Files.writeString(f, "{\"text\": \"a\", \"prompt\": \"first\"}\n\n{\"prompt\": \"second \\u00e9\"}\r\n");
    SampleReader reader = DataFormats.reader(DataConfig.defaults(DataFormat.JSONL).withField("prompt"));
    assertEquals(List.of("first", "second é"), Samples.readText(reader, f.toUri().toString()));
    assertEquals(List.of("a"), Samples.readText(DataFormats.reader(DataConfig.defaults(DataFormat.JSONL)),
        write(dir, "b.jsonl", "{\"text\": \"a\"}\n")));
  }

  @Test
  void badJsonNamesFileAndLine(@TempDir Path dir) throws IOException {
    String uri = write(dir, "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(DataConfig.defaults(DataFormat.JSONL)), uri));
    assertEquals(true, e.getMessage().startsWith(uri + ":2: not valid JSON: "), e.getMessage());
    assertEquals(1, e.getMessage().lines().count());
  }

  @Test
  void missingOrNonStringFieldNamesTheField(@TempDir Path dir) throws IOException {
    SampleReader reader = DataFormats.reader(DataConfig.defaults(DataFormat.JSONL));
    String missing = write(dir, "m.jsonl", "{\"text\": \"ok\"}\n{\"body\": \"x\"}\n");
    IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class, () -> Samples.readAll(reader, missing));
    assertEquals(missing + ":2: field 'text' is missing; set data.field to the field that holds the text",
        e1.getMessage());
    String number = write(dir, "n.jsonl", "{\"text\": 3}\n");
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> Samples.readAll(reader, number));
    assertEquals(number + ":1: field 'text' must be a string, found number", e2.getMessage());
    String array = write(dir, "a.jsonl", "[1, 2]\n");
    IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class, () -> Samples.readAll(reader, array));
    assertEquals(array + ":1: expected a JSON object with a string field 'text'", e3.getMessage());
  }

  private static String write(Path dir, String name, String text) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, text);
    return f.toUri().toString();
  }
}
