package org.sparkquant.io.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FloatingPointVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Arrow IPC rows: the file format (Feather v2, {@code ARROW1} magic) or the stream format, read whole into memory
 * from the Hadoop file system (files up to 2 GiB), one record batch at a time. A column may be a number, a list, a
 * large list or a fixed-size list of numbers (nested lists are flattened); integer and floating-point values are
 * accepted. Each open file has its own allocator, closed with the iterator.
 */
final class ArrowSampleReader implements SampleReader {
  private static final long serialVersionUID = 1L;
  private static final byte[] FILE_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

  private final List<Column> columns;
  private final Labels labels;
  /** The input columns, then the label column if any. */
  private final List<Column> read;

  ArrowSampleReader(List<Column> columns, Labels labels) {
    this.columns = List.copyOf(columns);
    this.labels = labels;
    this.read = TabularPayload.readColumns(this.columns, labels);
  }

  @Override
  public CloseableIterator<byte[]> read(String uri, Configuration conf) throws IOException {
    Path path = new Path(uri);
    FileSystem fs = path.getFileSystem(conf);
    long size = fs.getFileStatus(path).getLen();
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(uri + ": Arrow files over 2 GiB are not supported; split the file");
    }
    byte[] bytes;
    try (InputStream in = fs.open(path)) {
      bytes = in.readAllBytes();
    }
    BufferAllocator allocator = new RootAllocator();
    ArrowReader reader = null;
    try {
      boolean file = bytes.length >= FILE_MAGIC.length
          && Arrays.equals(Arrays.copyOf(bytes, FILE_MAGIC.length), FILE_MAGIC);
      reader = file ? new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(bytes), allocator)
          : new ArrowStreamReader(new ByteArrayInputStream(bytes), allocator);
      List<Field> fields = reader.getVectorSchemaRoot().getSchema().getFields();
      for (Column c : read) {
        Field f = fields.stream().filter(x -> x.getName().equals(c.column())).findFirst().orElseThrow(
            () -> new IllegalArgumentException(uri + ": no column '" + c.column() + "'; columns are "
                + fields.stream().map(Field::getName).toList()));
        checkType(f, c, uri);
      }
      return new Rows(uri, allocator, reader);
    } catch (IOException | RuntimeException e) {
      if (reader != null) {
        reader.close();
      }
      allocator.close();
      if (e instanceof IllegalArgumentException) {
        throw e;
      }
      throw new IllegalArgumentException(uri + " is not a readable Arrow IPC file: "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName()));
    }
  }

  private static void checkType(Field f, Column c, String uri) {
    ArrowType t = f.getType();
    if (t instanceof ArrowType.List || t instanceof ArrowType.LargeList || t instanceof ArrowType.FixedSizeList) {
      checkType(f.getChildren().get(0), c, uri);
      return;
    }
    boolean integer = t instanceof ArrowType.Int;
    boolean floating = t instanceof ArrowType.FloatingPoint;
    if (!integer && !floating) {
      throw new IllegalArgumentException(uri + ": column '" + c.column() + "' has type " + t
          + "; expected numbers or lists of numbers");
    }
    if (floating && c.type().isInteger()) {
      throw new IllegalArgumentException(uri + ": column '" + c.column() + "' has type " + t + "; type "
          + c.type().yamlName() + " needs integers");
    }
  }

  private final class Rows implements CloseableIterator<byte[]> {
    private final String uri;
    private final BufferAllocator allocator;
    private final ArrowReader reader;
    private final TabularPayload.RowBuilder rows;
    private final FieldVector[] vectors = new FieldVector[read.size()];
    private int rowInBatch;
    private int batchRows;
    private long rowIndex;
    private boolean done;
    private boolean closed;

    Rows(String uri, BufferAllocator allocator, ArrowReader reader) {
      this.uri = uri;
      this.allocator = allocator;
      this.reader = reader;
      this.rows = new TabularPayload.RowBuilder(columns, labels, uri);
    }

    @Override
    public boolean hasNext() {
      while (rowInBatch == batchRows && !done) {
        try {
          if (!reader.loadNextBatch()) {
            done = true;
            break;
          }
          VectorSchemaRoot root = reader.getVectorSchemaRoot();
          batchRows = root.getRowCount();
          rowInBatch = 0;
          for (int c = 0; c < read.size(); c++) {
            vectors[c] = root.getVector(read.get(c).column());
          }
        } catch (IOException e) {
          throw new UncheckedIOException(uri + ": read failed at row " + rowIndex + ": " + e.getMessage(), e);
        }
      }
      return rowInBatch < batchRows;
    }

    @Override
    public byte[] next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      rows.startRow(rowIndex++);
      for (int c = 0; c < read.size(); c++) {
        rows.startColumn(c);
        values(vectors[c], rowInBatch);
        rows.endColumn();
      }
      rowInBatch++;
      return rows.finishRow();
    }

    private void values(ValueVector v, int index) {
      if (v.isNull(index)) {
        throw rows.nullValue();
      }
      if (v instanceof ListVector l) {
        for (int j = l.getElementStartIndex(index); j < l.getElementEndIndex(index); j++) {
          values(l.getDataVector(), j);
        }
      } else if (v instanceof LargeListVector l) {
        for (long j = l.getElementStartIndex(index); j < l.getElementEndIndex(index); j++) {
          values(l.getDataVector(), Math.toIntExact(j));
        }
      } else if (v instanceof FixedSizeListVector l) {
        int n = l.getListSize();
        for (int j = index * n; j < (index + 1) * n; j++) {
          values(l.getDataVector(), j);
        }
      } else if (v instanceof FloatingPointVector f) {
        rows.addDouble(f.getValueAsDouble(index));
      } else if (v instanceof BaseIntVector i) {
        rows.addLong(i.getValueAsLong(index));
      } else {
        throw new IllegalStateException("unchecked Arrow vector " + v.getClass().getSimpleName());
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      done = true;
      try {
        reader.close();
      } finally {
        allocator.close();
      }
    }
  }
}
