package org.sparkquant.io.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * Parquet rows, reading only the configured columns, one row group at a time. A column may be a number, a list of
 * numbers (three-level or legacy two-level) or nested lists; INT32, INT64, FLOAT and DOUBLE values are accepted.
 */
final class ParquetSampleReader implements SampleReader {
  private static final long serialVersionUID = 1L;

  private final List<Column> columns;
  private final Labels labels;
  /** The input columns, then the label column if any. */
  private final List<Column> read;

  ParquetSampleReader(List<Column> columns, Labels labels) {
    this.columns = List.copyOf(columns);
    this.labels = labels;
    this.read = TabularPayload.readColumns(this.columns, labels);
  }

  @Override
  public CloseableIterator<byte[]> read(String uri, Configuration conf) throws IOException {
    ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(new Path(uri), conf));
    try {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      List<Type> fields = new ArrayList<>();
      for (Column c : read) {
        if (!schema.containsField(c.column())) {
          throw new IllegalArgumentException(uri + ": no column '" + c.column() + "'; columns are "
              + schema.getFields().stream().map(Type::getName).toList());
        }
        Type t = schema.getType(c.column());
        checkLeaves(t, c, uri);
        if (!fields.contains(t)) {
          fields.add(t);
        }
      }
      MessageType projection = new MessageType(schema.getName(), fields);
      reader.setRequestedSchema(projection);
      return new Rows(uri, reader, schema, projection);
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  private static void checkLeaves(Type t, Column c, String uri) {
    if (t.isPrimitive()) {
      PrimitiveType.PrimitiveTypeName p = t.asPrimitiveType().getPrimitiveTypeName();
      boolean integer = p == PrimitiveType.PrimitiveTypeName.INT32 || p == PrimitiveType.PrimitiveTypeName.INT64;
      boolean floating = p == PrimitiveType.PrimitiveTypeName.FLOAT || p == PrimitiveType.PrimitiveTypeName.DOUBLE;
      if (!integer && !floating) {
        throw new IllegalArgumentException(uri + ": column '" + c.column() + "' holds " + p
            + " values; expected numbers (INT32, INT64, FLOAT, DOUBLE) or lists of them");
      }
      if (floating && c.type().isInteger()) {
        throw new IllegalArgumentException(uri + ": column '" + c.column() + "' holds " + p + " values; type "
            + c.type().yamlName() + " needs integers");
      }
      return;
    }
    for (Type child : t.asGroupType().getFields()) {
      checkLeaves(child, c, uri);
    }
  }

  private final class Rows implements CloseableIterator<byte[]> {
    private final String uri;
    private final ParquetFileReader reader;
    private final MessageType fileSchema;
    private final MessageType projection;
    private final TabularPayload.RowBuilder rows;
    private RecordReader<Group> records;
    private long leftInGroup;
    private long rowIndex;
    private boolean done;

    Rows(String uri, ParquetFileReader reader, MessageType fileSchema, MessageType projection) {
      this.uri = uri;
      this.reader = reader;
      this.fileSchema = fileSchema;
      this.projection = projection;
      this.rows = new TabularPayload.RowBuilder(columns, labels, uri);
    }

    @Override
    public boolean hasNext() {
      while (leftInGroup == 0 && !done) {
        try {
          PageReadStore pages = reader.readNextRowGroup();
          if (pages == null) {
            done = true;
            break;
          }
          leftInGroup = pages.getRowCount();
          records = new ColumnIOFactory().getColumnIO(projection, fileSchema)
              .getRecordReader(pages, new GroupRecordConverter(projection));
        } catch (IOException e) {
          throw new UncheckedIOException(uri + ": read failed at row " + rowIndex + ": " + e.getMessage(), e);
        }
      }
      return leftInGroup > 0;
    }

    @Override
    public byte[] next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Group g = records.read();
      leftInGroup--;
      rows.startRow(rowIndex++);
      for (int c = 0; c < read.size(); c++) {
        rows.startColumn(c);
        int field = g.getType().getFieldIndex(read.get(c).column());
        field(g, field, g.getType().getType(field));
        rows.endColumn();
      }
      return rows.finishRow();
    }

    /** Adds every value of field {@code f} of {@code g}; a missing optional value is null. */
    private void field(Group g, int f, Type type) {
      int n = g.getFieldRepetitionCount(f);
      if (type.isRepetition(Type.Repetition.REPEATED)) {
        for (int i = 0; i < n; i++) {
          value(g, f, i, type);
        }
      } else if (n == 0) {
        throw rows.nullValue();
      } else {
        value(g, f, 0, type);
      }
    }

    private void value(Group g, int f, int i, Type type) {
      if (!type.isPrimitive()) {
        Group sub = g.getGroup(f, i);
        GroupType st = type.asGroupType();
        for (int j = 0; j < st.getFieldCount(); j++) {
          field(sub, j, st.getType(j));
        }
        return;
      }
      switch (type.asPrimitiveType().getPrimitiveTypeName()) {
        case INT32 -> rows.addLong(g.getInteger(f, i));
        case INT64 -> rows.addLong(g.getLong(f, i));
        case FLOAT -> rows.addDouble(g.getFloat(f, i));
        case DOUBLE -> rows.addDouble(g.getDouble(f, i));
        default -> throw new IllegalStateException("unchecked Parquet type " + type);
      }
    }

    @Override
    public void close() throws IOException {
      done = true;
      reader.close();
    }
  }
}
