package org.sparkquant.io.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The kinds of calibration data, as named by {@code --data-format} and the {@code data.format} key. */
public enum DataFormat {
  /** One sample per non-blank line of UTF-8 text, tokenized. */
  TEXT,
  /** One JSON object per non-blank line; one string field of each is tokenized. */
  JSONL,
  /** One image per file (PNG, JPEG, BMP). */
  IMAGES,
  /** One sample per row of Parquet files; numeric columns become inputs. */
  PARQUET,
  /** One sample per row of Arrow IPC files (Feather v2); numeric columns become inputs. */
  ARROW;

  /** Whether samples are text that a tokenizer turns into token ids. */
  public boolean isText() {
    return this == TEXT || this == JSONL;
  }

  /** The lower-case name used on the command line and in config files. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The format named {@code s} (case-insensitive), e.g. {@code text}. */
  public static DataFormat parse(String s) {
    for (DataFormat f : values()) {
      if (f.name().equalsIgnoreCase(s == null ? "" : s.strip())) {
        return f;
      }
    }
    throw new IllegalArgumentException("--data-format: '" + s + "' is not one of "
        + Arrays.stream(values()).map(DataFormat::cliName).collect(Collectors.joining(", ")));
  }
}
