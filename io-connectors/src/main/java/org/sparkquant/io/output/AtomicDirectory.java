package org.sparkquant.io.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes a job's output directory atomically: everything goes to a hidden temporary directory beside the target,
 * {@value #SUCCESS} is written last, and the directory is then renamed into place. On any error the temporary
 * directory is removed and an existing target is left untouched.
 */
public final class AtomicDirectory {
  /** The marker that says the output is complete. */
  public static final String SUCCESS = "_SUCCESS";

  private AtomicDirectory() {}

  /** Writes the files of an output directory. */
  @FunctionalInterface
  public interface Writer {
    void writeTo(Path dir) throws IOException;
  }

  /**
   * Fails unless {@code target} can be written: absent (or {@code overwrite}) and not a file, and creatable: its
   * closest existing ancestor is a writable directory.
   */
  public static void checkWritable(Path target, boolean overwrite) {
    if (Files.exists(target) && !overwrite) {
      throw new IllegalArgumentException(
          "output directory '" + target + "' already exists; pass --overwrite to replace it");
    }
    if (Files.exists(target) && !Files.isDirectory(target)) {
      throw new IllegalArgumentException("output '" + target + "' is a file; expected a directory path");
    }
    Path ancestor = target.toAbsolutePath().normalize().getParent();
    while (ancestor != null && !Files.exists(ancestor)) {
      ancestor = ancestor.getParent();
    }
    if (ancestor == null) {
      return;
    }
    if (!Files.isDirectory(ancestor)) {
      throw new IllegalArgumentException("cannot create output directory '" + target + "': '" + ancestor
          + "' is a file; expected a directory");
    }
    if (!Files.isWritable(ancestor)) {
      throw new IllegalArgumentException("cannot create output directory '" + target + "': directory '" + ancestor
          + "' is not writable");
    }
  }

  /** Writes {@code target} with {@code writer}, atomically. */
  public static void write(Path target, boolean overwrite, Writer writer) {
    checkWritable(target, overwrite);
    Path abs = target.toAbsolutePath().normalize();
    Path parent = abs.getParent();
    Path tmp = parent.resolve("." + abs.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      Files.createDirectories(parent);
      Files.createDirectory(tmp);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot create output directory '" + target + "': " + e.getMessage());
    }
    try {
      writer.writeTo(tmp);
      Files.createFile(tmp.resolve(SUCCESS));
      if (Files.exists(abs)) {
        Path old = parent.resolve("." + abs.getFileName() + ".old-" + UUID.randomUUID());
        Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
      } else {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (FileAlreadyExistsException e) {
      deleteQuietly(tmp);
      throw new IllegalArgumentException("output directory '" + target + "' appeared while writing; not replaced");
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new UncheckedIOException("cannot write output directory '" + target + "': " + e.getMessage(), e);
    } catch (RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      deleteTree(dir);
    } catch (IOException ignored) {
      // Best effort: the directory is hidden and named as temporary.
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
