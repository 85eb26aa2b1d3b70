package org.sparkquant.io.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.sparkquant.core.graph.ModelFormatException;

/**
 * Resolves ONNX external tensor data safely: a location must be a relative path that stays inside the model's
 * directory. Absolute paths, {@code ..} segments and symbolic links that lead outside are rejected, so an untrusted
 * model cannot make SparkQuant read arbitrary files.
 */
final class ExternalData {
  private final Path modelDir;
  private final Path realModelDir;

  ExternalData(Path modelFile) throws IOException {
    this.modelDir = modelFile.toAbsolutePath().getParent();
    this.realModelDir = modelDir.toRealPath();
  }

  /**
   * Reads {@code length} bytes at {@code offset} of {@code location} (length -1: to the end of the file).
   *
   * @param tensor tensor name, for messages
   */
  ByteBuffer read(String tensor, String location, long offset, long length) {
    Path file = resolve(tensor, location);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      long len = length < 0 ? size - offset : length;
      if (offset < 0 || len < 0 || offset + len > size) {
        throw new ModelFormatException(
            "tensor '" + tensor + "': external data range offset=" + offset + " length=" + len + " exceeds file '"
                + location + "' of " + size + " bytes");
      }
      return ch.map(FileChannel.MapMode.READ_ONLY, offset, len);
    } catch (IOException e) {
      throw new ModelFormatException("tensor '" + tensor + "': cannot read external data '" + location + "': " + e);
    }
  }

  private Path resolve(String tensor, String location) {
    String prefix = "tensor '" + tensor + "': external data location '" + location + "' ";
    if (location == null || location.isEmpty()) {
      throw new ModelFormatException(prefix + "is empty");
    }
    Path rel = Path.of(location);
    if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
      throw new ModelFormatException(prefix + "is absolute; it must be relative to the model's directory");
    }
    for (Path part : rel) {
      if (part.toString().equals("..")) {
        throw new ModelFormatException(prefix + "contains '..'; it must stay inside the model's directory");
      }
    }
    Path file = modelDir.resolve(rel).normalize();
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new ModelFormatException(prefix + "does not exist next to the model");
    }
    try {
      Path real = file.toRealPath();
      if (!real.startsWith(realModelDir)) {
        throw new ModelFormatException(prefix + "leads outside the model's directory (through a symbolic link)");
      }
      if (!Files.isRegularFile(real)) {
        throw new ModelFormatException(prefix + "is not a regular file");
      }
      return real;
    } catch (IOException e) {
      throw new ModelFormatException(prefix + "cannot be resolved: " + e.getMessage());
    }
  }
}
