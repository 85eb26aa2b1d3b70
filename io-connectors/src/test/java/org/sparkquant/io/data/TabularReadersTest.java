package org.sparkquant.io.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.DataType;

class TabularReadersTest {
  private static final MessageType PARQUET_SCHEMA = MessageTypeParser.parseMessageType(
      "message row {"
          + " optional group pixels (LIST) { repeated group list { optional float element; } }"
          + " repeated double legacy;"
          + " optional int64 label;"
          + " optional binary name (STRING);"
          + " }");

  private static final List<Column> COLUMNS = List.of(
      new Column("pixels", "x", List.of(2L, 2L), ColumnType.FLOAT32),
      new Column("legacy", null, List.of(3L), ColumnType.FLOAT32),
      new Column("label", "y", List.of(), ColumnType.INT64));

  /** Row {@code r}: pixels r*10 + 0..3, legacy r + 0.5, r + 1.5, r + 2.5, label 100 + r. */
  private static String writeParquet(Path file, int rows, int rowWithNullLabel, int rowWithShortPixels)
      throws IOException {
    SimpleGroupFactory f = new SimpleGroupFactory(PARQUET_SCHEMA);
    Configuration conf = new Configuration();
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(file.toUri());
    try (ParquetWriter<Group> w = ExampleParquetWriter.builder(HadoopOutputFile.fromPath(path, conf))
        .withType(PARQUET_SCHEMA).withConf(conf).build()) {
      for (int r = 0; r < rows; r++) {
        Group g = f.newGroup();
        Group list = g.addGroup("pixels");
        for (int i = 0; i < (r == rowWithShortPixels ? 3 : 4); i++) {
          list.addGroup("list").append("element", r * 10f + i);
        }
        for (int i = 0; i < 3; i++) {
          g.append("legacy", r + i + 0.5);
        }
        if (r != rowWithNullLabel) {
          g.append("label", 100L + r);
        }
        g.append("name", "row " + r);
        w.write(g);
      }
    }
    return file.toUri().toString();
  }

  private static void checkRows(EncodedBatch b, int first, int n) {
    assertNull(b.observeMask());
    assertEquals(List.of("x", "legacy", "y"), List.copyOf(b.inputs().keySet()));
    assertArrayEquals(new long[] {n, 2, 2}, b.inputs().get("x").shape());
    assertArrayEquals(new long[] {n, 3}, b.inputs().get("legacy").shape());
    assertArrayEquals(new long[] {n}, b.inputs().get("y").shape());
    assertEquals(DataType.INT64, b.inputs().get("y").dataType());
    float[] x = b.inputs().get("x").floats();
    float[] legacy = b.inputs().get("legacy").floats();
    long[] y = b.inputs().get("y").longs();
    for (int i = 0; i < n; i++) {
      int r = first + i;
      for (int j = 0; j < 4; j++) {
        assertEquals(r * 10f + j, x[i * 4 + j]);
      }
      for (int j = 0; j < 3; j++) {
        assertEquals((float) (r + j + 0.5), legacy[i * 3 + j]);
      }
      assertEquals(100L + r, y[i]);
    }
  }

  private static EncodedBatch readAndEncode(DataConfig config, String uri) throws IOException {
    List<byte[]> payloads = Samples.readAll(DataFormats.reader(config), uri);
    try (BatchEncoder enc = DataFormats.newEncoder(config, null)) {
      return enc.encode(payloads);
    }
  }

  @Test
  void parquetRowsRoundTripIntoStackedTensors(@TempDir Path dir) throws IOException {
    String uri = writeParquet(dir.resolve("a.parquet"), 5, -1, -1);
    DataConfig config = DataConfig.defaults(DataFormat.PARQUET).withColumns(COLUMNS);
    checkRows(readAndEncode(config, uri), 0, 5);
  }

  @Test
  void parquetErrorsNameFileRowAndColumn(@TempDir Path dir) throws IOException {
    DataConfig config = DataConfig.defaults(DataFormat.PARQUET).withColumns(COLUMNS);
    String nulls = writeParquet(dir.resolve("n.parquet"), 4, 2, -1);
    IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(config), nulls));
    assertEquals(nulls + ": row 2: column 'label' is null; every row needs 1 values", e1.getMessage());

    String shortRow = writeParquet(dir.resolve("s.parquet"), 4, -1, 1);
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(config), shortRow));
    assertEquals(shortRow + ": row 1: column 'pixels' has 3 values; data.columns shape [2, 2] needs 4",
        e2.getMessage());

    String ok = writeParquet(dir.resolve("ok.parquet"), 1, -1, -1);
    DataConfig missing = config.withColumns(List.of(new Column("pixel", "x", List.of(4L), ColumnType.FLOAT32)));
    IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(missing), ok));
    assertEquals(ok + ": no column 'pixel'; columns are [pixels, legacy, label, name]", e3.getMessage());

    DataConfig ints = config.withColumns(List.of(new Column("pixels", "x", List.of(4L), ColumnType.INT64)));
    IllegalArgumentException e4 = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(ints), ok));
    assertEquals(ok + ": column 'pixels' holds FLOAT values; type int64 needs integers", e4.getMessage());

    DataConfig text = config.withColumns(List.of(new Column("name", "x", List.of(), ColumnType.FLOAT32)));
    IllegalArgumentException e5 = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(text), ok));
    assertTrue(e5.getMessage().startsWith(ok + ": column 'name' holds BINARY values"), e5.getMessage());
  }

  private static final Schema ARROW_SCHEMA = new Schema(List.of(
      new Field("pixels", FieldType.nullable(new ArrowType.FixedSizeList(4)),
          List.of(Field.nullable("item", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)))),
      new Field("legacy", FieldType.nullable(new ArrowType.List()),
          List.of(Field.nullable("item", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)))),
      Field.nullable("label", new ArrowType.Int(64, true))));

  /** The same rows as {@link #writeParquet}, in batches of {@code batch} rows. */
  private static String writeArrow(Path file, int rows, int batch, boolean stream, int rowWithShortPixels)
      throws IOException {
    try (RootAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(ARROW_SCHEMA, allocator);
        FileOutputStream out = new FileOutputStream(file.toFile());
        ArrowWriter w = stream ? new ArrowStreamWriter(root, null, Channels.newChannel(out))
            : new ArrowFileWriter(root, null, Channels.newChannel(out))) {
      w.start();
      for (int start = 0; start < rows; start += batch) {
        int n = Math.min(batch, rows - start);
        root.allocateNew();
        FixedSizeListVector pixels = (FixedSizeListVector) root.getVector("pixels");
        Float4Vector pv = (Float4Vector) pixels.getDataVector();
        ListVector legacy = (ListVector) root.getVector("legacy");
        Float8Vector lv = (Float8Vector) legacy.getDataVector();
        BigIntVector label = (BigIntVector) root.getVector("label");
        for (int i = 0; i < n; i++) {
          int r = start + i;
          pixels.setNotNull(i);
          for (int j = 0; j < 4; j++) {
            pv.setSafe(i * 4 + j, r * 10f + j);
          }
          int offset = legacy.startNewValue(i);
          int count = r == rowWithShortPixels ? 2 : 3;
          for (int j = 0; j < count; j++) {
            lv.setSafe(offset + j, r + j + 0.5);
          }
          legacy.endValue(i, count);
          label.setSafe(i, 100L + r);
        }
        pv.setValueCount(n * 4);
        pixels.setValueCount(n);
        legacy.setValueCount(n);
        label.setValueCount(n);
        root.setRowCount(n);
        w.writeBatch();
      }
      w.end();
    }
    return file.toUri().toString();
  }

  @Test
  void arrowFilesAndStreamsRoundTripAcrossRecordBatches(@TempDir Path dir) throws IOException {
    DataConfig config = DataConfig.defaults(DataFormat.ARROW).withColumns(COLUMNS);
    checkRows(readAndEncode(config, writeArrow(dir.resolve("a.arrow"), 7, 3, false, -1)), 0, 7);
    checkRows(readAndEncode(config, writeArrow(dir.resolve("b.ipc"), 5, 2, true, -1)), 0, 5);
  }

  @Test
  void arrowIteratorsCanBeClosedEarly(@TempDir Path dir) throws IOException {
    String uri = writeArrow(dir.resolve("a.feather"), 7, 3, false, -1);
    try (CloseableIterator<byte[]> it =
        DataFormats.reader(DataConfig.defaults(DataFormat.ARROW).withColumns(COLUMNS)).read(uri, new Configuration())) {
      assertTrue(it.hasNext());
      it.next();
    }
  }

  @Test
  void arrowErrorsNameFileRowAndColumn(@TempDir Path dir) throws IOException {
    DataConfig config = DataConfig.defaults(DataFormat.ARROW).withColumns(COLUMNS);
    String bad = writeArrow(dir.resolve("bad.arrow"), 6, 4, false, 4);
    IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(config), bad));
    assertEquals(bad + ": row 4: column 'legacy' has 2 values; data.columns shape [3] needs 3", e1.getMessage());

    DataConfig missing = config.withColumns(List.of(new Column("labels", null, List.of(), ColumnType.INT64)));
    IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(missing), bad));
    assertEquals(bad + ": no column 'labels'; columns are [pixels, legacy, label]", e2.getMessage());

    String notArrow = Files.writeString(dir.resolve("x.arrow"), "not arrow at all").toUri().toString();
    IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(config), notArrow));
    assertTrue(e3.getMessage().startsWith(notArrow + " is not a readable Arrow IPC file"), e3.getMessage());
    assertEquals(1, e3.getMessage().lines().count());
  }

  @Test
  void int32ColumnsFeedInt32Inputs(@TempDir Path dir) throws IOException {
    String uri = writeArrow(dir.resolve("a.arrow"), 3, 3, false, -1);
    DataConfig config = DataConfig.defaults(DataFormat.ARROW)
        .withColumns(List.of(new Column("label", "y", List.of(), ColumnType.INT32)));
    EncodedBatch b = readAndEncode(config, uri);
    assertEquals(DataType.INT32, b.inputs().get("y").dataType());
    assertArrayEquals(new long[] {100, 101, 102}, b.inputs().get("y").longs());
  }

  @Test
  void aLabelColumnBecomesTheBatchLabelsInParquetAndArrow(@TempDir Path dir) throws IOException {
    List<Column> inputs = COLUMNS.subList(0, 2);
    Labels labels = new Labels("label", List.of());
    for (DataConfig config : List.of(
        DataConfig.defaults(DataFormat.PARQUET).withColumns(inputs).withLabels(labels),
        DataConfig.defaults(DataFormat.ARROW).withColumns(inputs).withLabels(labels))) {
      String uri = config.format() == DataFormat.PARQUET ? writeParquet(dir.resolve("a.parquet"), 5, -1, -1)
          : writeArrow(dir.resolve("a.arrow"), 5, 2, false, -1);
      EncodedBatch b = readAndEncode(config, uri);
      assertEquals(List.of("x", "legacy"), List.copyOf(b.inputs().keySet()));
      assertArrayEquals(new long[] {100, 101, 102, 103, 104}, b.labels().longs());
      EncodedBatch unlabelled = readAndEncode(config.withLabels(null), uri);
      assertArrayEquals(unlabelled.inputs().get("x").floats(), b.inputs().get("x").floats());
      assertArrayEquals(unlabelled.inputs().get("legacy").floats(), b.inputs().get("legacy").floats());

      DataConfig twoClasses = config.withLabels(new Labels("label", List.of("a", "b")));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Samples.readAll(DataFormats.reader(twoClasses), uri));
      assertEquals(uri + ": row 0: column 'label': label 100 is not a class index below 2 (data.label.classes)",
          e.getMessage());
    }
    String nulls = writeParquet(dir.resolve("n.parquet"), 4, 2, -1);
    DataConfig parquet = DataConfig.defaults(DataFormat.PARQUET).withColumns(inputs).withLabels(labels);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Samples.readAll(DataFormats.reader(parquet), nulls));
    assertEquals(nulls + ": row 2: column 'label' is null; every row needs 1 values", e.getMessage());
  }
}
