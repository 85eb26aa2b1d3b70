package org.sparkquant.io.output;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.EnumSet;
import java.util.UUID;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.sparkquant.io.fs.FileStore;

/**
 * A small text file that names the newest complete output (its fully qualified URI and a newline), such as
 * {@code …/latest} beside dated outputs {@code …/2026-12-08/}. Readers follow the pointer instead of listing dates.
 * It is replaced in one step: written under a temporary name beside it, then renamed over the old pointer (atomic on
 * HDFS and local disk; a copy on object stores, where a reader sees the old or the new pointer, never a part).
 */
public final class LatestPointer {
  private LatestPointer() {}

  /**
   * Points {@code pointer} at {@code output}; returns the URI written.
   *
   * @throws IllegalArgumentException when {@code output} is not complete (no {@value AtomicDirectory#SUCCESS}) or
   *     the pointer cannot be written
   */
  public static String write(FileStore store, String output, String pointer) {
    if (!AtomicDirectory.isComplete(store, output)) {
      throw new IllegalArgumentException("output '" + output + "' is not complete (it has no "
          + AtomicDirectory.SUCCESS + "); not published");
    }
    String target = store.path(output).toString();
    byte[] text = (target + "\n").getBytes(StandardCharsets.UTF_8);
    Path path = store.path(pointer);
    try {
      java.nio.file.Path local = store.localFile(pointer);
      if (local != null) {
        java.nio.file.Path tmp = local.resolveSibling("." + local.getFileName() + ".tmp-" + UUID.randomUUID());
        Files.createDirectories(local.toAbsolutePath().getParent());
        Files.write(tmp, text);
        Files.move(tmp, local, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return target;
      }
      Path tmp = new Path(path.getParent(), "." + path.getName() + ".tmp-" + UUID.randomUUID());
      FileContext fc = FileContext.getFileContext(path.toUri(), store.configuration());
      try (OutputStream out = fc.create(tmp, EnumSet.of(CreateFlag.CREATE), Options.CreateOpts.createParent())) {
        out.write(text);
      }
      fc.rename(tmp, path, Options.Rename.OVERWRITE);
      return target;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write pointer '" + pointer + "': " + FileStore.reason(e));
    }
  }
}
