package org.sparkquant.io.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Lists data files through Hadoop {@link FileSystem} ({@code file:}, {@code hdfs:}, {@code s3a:} or plain local
 * paths): one file, a directory (searched recursively) or a glob. Runs on the driver; the sorted list is what makes the
 * order of samples deterministic across runs.
 *
 * <p>Hidden files and directories (names starting with {@code .} or {@code _}, such as {@code _SUCCESS} and checksum
 * files) are skipped. Inside directories and glob matches, each format keeps only the files with its
 * {@link SampleFormat#fileExtensions() extensions} (case-insensitive): {@link DataFormat#IMAGES} {@code png},
 * {@code jpg}, {@code jpeg} and {@code bmp}, {@link DataFormat#PARQUET} {@code *.parquet} and {@link DataFormat#ARROW}
 * {@code *.arrow}, {@code *.feather} and {@code *.ipc}; text and JSON lines take every file. A single file named
 * explicitly is taken as it is.
 */
public final class DataFiles {
  private DataFiles() {}

  /**
   * The data files at {@code pathOrGlob}, as fully qualified URIs sorted lexicographically.
   *
   * @throws IllegalArgumentException if the path does not exist, the glob matches nothing, no data files are found or
   *     all of them are empty
   * @throws UncheckedIOException if the file system cannot be read
   */
  public static List<String> list(String pathOrGlob, DataFormat format, Configuration conf) {
    if (pathOrGlob == null || pathOrGlob.isBlank()) {
      throw new IllegalArgumentException("data path is empty; give a file, a directory or a glob");
    }
    String where = "data path '" + pathOrGlob + "'";
    List<String> out = new ArrayList<>();
    long[] bytes = {0};
    try {
      Path path = new Path(pathOrGlob);
      FileSystem fs = path.getFileSystem(conf);
      if (isGlob(pathOrGlob)) {
        FileStatus[] matches = fs.globStatus(path);
        if (matches == null || matches.length == 0) {
          throw new IllegalArgumentException(where + " matched nothing");
        }
        for (FileStatus s : matches) {
          if (!isHidden(s.getPath())) {
            collect(fs, s, format, out, bytes);
          }
        }
      } else {
        FileStatus status;
        try {
          status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
          throw new IllegalArgumentException(where + " does not exist");
        }
        if (status.isFile()) {
          out.add(status.getPath().toString());
          bytes[0] += status.getLen();
        } else {
          collect(fs, status, format, out, bytes);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(where + " could not be listed: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(where + " has no " + format.cliName() + " data files" + lookedFor(format));
    }
    if (bytes[0] == 0) {
      throw new IllegalArgumentException(where + (out.size() == 1 ? " is an empty file" : ": all " + out.size()
          + " data files are empty"));
    }
    out.sort(null);
    return List.copyOf(out);
  }

  private static void collect(FileSystem fs, FileStatus status, DataFormat format, List<String> out, long[] bytes)
      throws IOException {
    if (status.isFile()) {
      if (accepts(format, status.getPath().getName())) {
        out.add(status.getPath().toString());
        bytes[0] += status.getLen();
      }
      return;
    }
    for (FileStatus child : fs.listStatus(status.getPath())) {
      if (!isHidden(child.getPath())) {
        collect(fs, child, format, out, bytes);
      }
    }
  }

  private static boolean isHidden(Path p) {
    String name = p.getName();
    return name.startsWith(".") || name.startsWith("_");
  }

  private static boolean isGlob(String s) {
    return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
  }

  /** Whether a file of this name counts as data of {@code format} when found in a directory or by a glob. */
  static boolean accepts(DataFormat format, String name) {
    Set<String> extensions = DataFormats.of(format).fileExtensions();
    if (extensions.isEmpty()) {
      return true;
    }
    int dot = name.lastIndexOf('.');
    return dot >= 0 && extensions.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  private static String lookedFor(DataFormat format) {
    Set<String> extensions = DataFormats.of(format).fileExtensions();
    return extensions.isEmpty() ? " (hidden files are skipped)"
        : " (looked for " + String.join(", ", extensions.stream().sorted().map(e -> "*." + e).toList()) + ")";
  }
}
