package org.sparkquant.io.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataFormatsTest {
  @Test
  void everyFormatHasItsOwnImplementation() {
    for (DataFormat f : DataFormat.values()) {
      assertEquals(f, DataFormats.of(f).format());
    }
    assertEquals(Arrays.asList(DataFormat.values()), DataFormats.all().stream().map(SampleFormat::format).toList());
  }

  @Test
  void formatsAreFoundByTheirCliName() {
    for (DataFormat f : DataFormat.values()) {
      assertSame(DataFormats.of(f), DataFormats.of(f.cliName()));
    }
    assertEquals("--data-format: 'csv' is not one of text, jsonl, images, parquet, arrow",
        assertThrows(IllegalArgumentException.class, () -> DataFormats.of("csv")).getMessage());
  }

  @Test
  void labelsAreCheckedByTheFormatThatReadsThem() {
    Labels field = new Labels("label", List.of());
    assertEquals("data.label: text lines carry no labels; use --data-format jsonl with data.label.field",
        assertThrows(IllegalArgumentException.class,
            () -> DataConfig.defaults(DataFormat.TEXT).withLabels(field)).getMessage());
    assertEquals("data.label needs the column that holds the labels for --data-format arrow",
        assertThrows(IllegalArgumentException.class,
            () -> DataConfig.defaults(DataFormat.ARROW).withLabels(new Labels(null, List.of("a")))).getMessage());
    assertEquals("data.label needs the field that holds the labels for --data-format jsonl",
        assertThrows(IllegalArgumentException.class,
            () -> DataConfig.defaults(DataFormat.JSONL).withLabels(new Labels(null, List.of()))).getMessage());
    assertEquals(field, DataConfig.defaults(DataFormat.PARQUET).withLabels(field).labels());
  }
}
