package org.sparkquant.io.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFilesTest {
  private static final Configuration CONF = new Configuration();

  private static Path touch(Path p) throws IOException {
    Files.createDirectories(p.getParent());
    Files.writeString(p, "x\n");
    return p;
  }

  private static String uri(Path p) {
    return "file:" + p.toAbsolutePath();
  }

  @Test
  void aSingleFileIsTakenAsItIsWithAQualifiedUri(@TempDir Path dir) throws IOException {
    Path f = touch(dir.resolve("notes.dat"));
    assertEquals(List.of(uri(f)), DataFiles.list(f.toString(), DataFormat.PARQUET, CONF));
    assertEquals(List.of(uri(f)), DataFiles.list(uri(f), DataFormat.TEXT, CONF));
  }

  @Test
  void directoriesAreListedRecursivelySortedAndWithoutHiddenFiles(@TempDir Path dir) throws IOException {
    Path b = touch(dir.resolve("b.txt"));
    Path a2 = touch(dir.resolve("a/2.txt"));
    Path a10 = touch(dir.resolve("a/10.txt"));
    touch(dir.resolve(".hidden.txt"));
    touch(dir.resolve("_SUCCESS"));
    touch(dir.resolve(".git/config"));
    touch(dir.resolve("_tmp/part.txt"));
    List<String> files = DataFiles.list(dir.toString(), DataFormat.TEXT, CONF);
    assertEquals(List.of(uri(a10), uri(a2), uri(b)), files);
  }

  @Test
  void globsMatchFilesAndDirectories(@TempDir Path dir) throws IOException {
    Path p1 = touch(dir.resolve("part-1.jsonl"));
    Path p2 = touch(dir.resolve("part-2.jsonl"));
    touch(dir.resolve("other.jsonl"));
    Path nested = touch(dir.resolve("day=1/x.jsonl"));
    assertEquals(List.of(uri(p1), uri(p2)), DataFiles.list(dir + "/part-*.jsonl", DataFormat.JSONL, CONF));
    assertEquals(List.of(uri(nested)), DataFiles.list(dir + "/day=*", DataFormat.JSONL, CONF));
  }

  @Test
  void imageListingsKeepOnlyImageFiles(@TempDir Path dir) throws IOException {
    Path png = touch(dir.resolve("a.PNG"));
    Path jpg = touch(dir.resolve("b.jpg"));
    Path jpeg = touch(dir.resolve("c/d.jpeg"));
    Path bmp = touch(dir.resolve("e.bmp"));
    touch(dir.resolve("labels.csv"));
    touch(dir.resolve("README"));
    assertEquals(List.of(uri(png), uri(jpg), uri(jpeg), uri(bmp)),
        DataFiles.list(dir.toString(), DataFormat.IMAGES, CONF));
  }

  @Test
  void tabularListingsKeepTheirExtensions(@TempDir Path dir) throws IOException {
    Path parquet = touch(dir.resolve("p.parquet"));
    Path arrow = touch(dir.resolve("a.arrow"));
    Path feather = touch(dir.resolve("b.feather"));
    Path ipc = touch(dir.resolve("c.ipc"));
    touch(dir.resolve("p.parquet.crc"));
    assertEquals(List.of(uri(parquet)), DataFiles.list(dir.toString(), DataFormat.PARQUET, CONF));
    assertEquals(List.of(uri(arrow), uri(feather), uri(ipc)), DataFiles.list(dir.toString(), DataFormat.ARROW, CONF));
  }

  @Test
  void missingPathsEmptyDirectoriesAndEmptyGlobsAreOneLineErrors(@TempDir Path dir) throws IOException {
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> DataFiles.list(dir.resolve("nope").toString(), DataFormat.TEXT, CONF));
    assertEquals("data path '" + dir.resolve("nope") + "' does not exist", missing.getMessage());

    Path empty = Files.createDirectory(dir.resolve("empty"));
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> DataFiles.list(empty.toString(), DataFormat.TEXT, CONF));
    assertTrue(none.getMessage().contains("has no text data files"), none.getMessage());

    touch(dir.resolve("only/labels.csv"));
    IllegalArgumentException noImages = assertThrows(IllegalArgumentException.class,
        () -> DataFiles.list(dir.resolve("only").toString(), DataFormat.IMAGES, CONF));
    assertTrue(noImages.getMessage().contains("looked for *.bmp, *.jpeg, *.jpg, *.png"), noImages.getMessage());

    IllegalArgumentException glob = assertThrows(IllegalArgumentException.class,
        () -> DataFiles.list(dir + "/*.parquet", DataFormat.PARQUET, CONF));
    assertTrue(glob.getMessage().endsWith("matched nothing"), glob.getMessage());
    Path blank = Files.createFile(dir.resolve("blank.txt"));
    IllegalArgumentException emptyFile = assertThrows(IllegalArgumentException.class,
        () -> DataFiles.list(blank.toString(), DataFormat.TEXT, CONF));
    assertEquals("data path '" + blank + "' is an empty file", emptyFile.getMessage());
    Files.createFile(empty.resolve("a.txt"));
    Files.createFile(empty.resolve("b.txt"));
    IllegalArgumentException emptyFiles = assertThrows(IllegalArgumentException.class,
        () -> DataFiles.list(empty.toString(), DataFormat.TEXT, CONF));
    assertTrue(emptyFiles.getMessage().endsWith(": all 2 data files are empty"), emptyFiles.getMessage());
    for (IllegalArgumentException e : List.of(missing, none, noImages, glob, emptyFile, emptyFiles)) {
      assertFalse(e.getMessage().contains("\n"));
    }
  }

  @Test
  void unknownFormatNamesTheAllowedOnes() {
    assertEquals(DataFormat.JSONL, DataFormat.parse("JSONL"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DataFormat.parse("csv"));
    assertEquals("--data-format: 'csv' is not one of text, jsonl, images, parquet, arrow", e.getMessage());
  }
}
