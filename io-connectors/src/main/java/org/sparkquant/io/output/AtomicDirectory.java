package org.sparkquant.io.output;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsAction;
import org.sparkquant.io.fs.FileStore;

/**
 * Commits a job's output directory on any Hadoop file system: everything is written to a hidden temporary directory
 * beside the target ({@code .NAME.tmp-UUID}), which is then renamed into place, and {@value #SUCCESS} is written last.
 * On HDFS and local disk the rename is atomic; on object stores (S3A) it is a copy, so there {@value #SUCCESS} alone
 * says the output is complete. On any error the temporary directory is removed and an existing target is left as it
 * was; with {@code overwrite}, the old target is moved aside first and deleted once the new one is in place.
 */
public final class AtomicDirectory {
  /** The marker that says the output is complete. */
  public static final String SUCCESS = "_SUCCESS";

  private AtomicDirectory() {}

  /** Writes the files of an output directory. */
  @FunctionalInterface
  public interface Writer {
    void writeTo(Staging dir) throws IOException;
  }

  /** The temporary directory an output is written to before it is committed. */
  public static final class Staging {
    private final FileSystem fs;
    private final Path dir;

    Staging(FileSystem fs, Path dir) {
      this.fs = fs;
      this.dir = dir;
    }

    /** A new file {@code name} in the output. */
    public OutputStream create(String name) throws IOException {
      return fs.create(new Path(dir, name), false);
    }

    /** Moves {@code source} (a file or directory on the output's file system) into the output as {@code name}. */
    public void moveIn(Path source, String name) throws IOException {
      if (!fs.rename(source, new Path(dir, name))) {
        throw new IOException("cannot move '" + source + "' into the output");
      }
    }
  }

  /** Whether {@code target} is a committed output: it holds {@value #SUCCESS}. */
  public static boolean isComplete(FileStore store, String target) {
    return store.exists(new Path(store.path(target), SUCCESS), "output directory");
  }

  /**
   * Fails unless {@code target} can be written: absent (or {@code overwrite}) and not a file, and creatable: its
   * closest existing ancestor is a directory this user may write to.
   */
  public static void checkWritable(FileStore store, String target, boolean overwrite) {
    Path path = store.path(target);
    FileStatus status = store.statusOrNull(path, "output directory");
    if (status != null && !overwrite) {
      throw new IllegalArgumentException(
          "output directory '" + target + "' already exists; pass --overwrite to replace it");
    }
    if (status != null && !status.isDirectory()) {
      throw new IllegalArgumentException("output '" + target + "' is a file; expected a directory path");
    }
    Path ancestor = path.getParent();
    FileStatus found = null;
    while (ancestor != null && (found = store.statusOrNull(ancestor, "output directory")) == null) {
      ancestor = ancestor.getParent();
    }
    if (found == null) {
      return;
    }
    if (!found.isDirectory()) {
      throw new IllegalArgumentException("cannot create output directory '" + target + "': '" + ancestor
          + "' is a file; expected a directory");
    }
    checkMayWrite(store, target, ancestor);
  }

  private static void checkMayWrite(FileStore store, String target, Path dir) {
    java.nio.file.Path local = store.localFile(dir.toString());
    if (local != null) {
      if (!Files.isWritable(local)) {
        throw new IllegalArgumentException("cannot create output directory '" + target + "': directory '" + local
            + "' is not writable");
      }
      return;
    }
    try {
      FileSystem fs = store.fileSystem(dir);
      fs.access(dir, FsAction.WRITE);
      fs.listStatusIterator(dir).hasNext();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot create output directory '" + target + "': "
          + FileStore.reason(e));
    }
  }

  /** Writes {@code target} with {@code writer}, then commits it. */
  public static void write(FileStore store, String target, boolean overwrite, Writer writer) {
    checkWritable(store, target, overwrite);
    Path path = store.path(target);
    FileSystem fs = store.fileSystem(path);
    Path parent = path.getParent();
    Path tmp = new Path(parent, "." + path.getName() + ".tmp-" + UUID.randomUUID());
    try {
      if (!fs.mkdirs(tmp)) {
        throw new IOException("mkdirs returned false");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot create output directory '" + target + "': " + FileStore.reason(e));
    }
    try {
      writer.writeTo(new Staging(fs, tmp));
      Path old = null;
      if (fs.exists(path)) {
        if (!overwrite) {
          throw new IllegalArgumentException("output directory '" + target + "' appeared while writing; not replaced");
        }
        old = new Path(parent, "." + path.getName() + ".old-" + UUID.randomUUID());
        rename(fs, path, old);
      }
      try {
        rename(fs, tmp, path);
      } catch (IOException e) {
        if (old != null) {
          fs.rename(old, path);
        }
        throw e;
      }
      fs.create(new Path(path, SUCCESS), false).close();
      if (old != null) {
        fs.delete(old, true);
      }
    } catch (IOException e) {
      deleteQuietly(fs, tmp);
      throw new IllegalArgumentException("cannot write output directory '" + target + "': " + FileStore.reason(e), e);
    } catch (RuntimeException e) {
      deleteQuietly(fs, tmp);
      throw e;
    }
  }

  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("cannot rename '" + from + "' to '" + to + "'");
    }
  }

  private static void deleteQuietly(FileSystem fs, Path dir) {
    try {
      fs.delete(dir, true);
    } catch (IOException ignored) {
      // Best effort: the directory is hidden and named as temporary.
    }
  }
}
