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
 * External tensor data beside a model on local disk, memory-mapped; symbolic links that lead outside the model's
 * directory are rejected too.
 */
final class LocalExternalData implements ExternalData {
  private final Path modelDir;
  private final Path realModelDir;

  LocalExternalData(Path modelFile) throws IOException {
    this.modelDir = modelFile.toAbsolutePath().getParent();
    this.realModelDir = modelDir.toRealPath();
  }

  @Override
  public ByteBuffer read(String tensor, String location, long offset, long length) {
    Path file = resolve(tensor, location);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      long len = length < 0 ? size - offset : length;
      if (offset < 0 || len < 0 || offset + len > size) {
        throw ExternalData.outOfRange(tensor, location, offset, len, size);
      }
      return ch.map(FileChannel.MapMode.READ_ONLY, offset, len);
    } catch (IOException e) {
      throw new ModelFormatException("tensor '" + tensor + "': cannot read external data '" + location + "': " + e);
    }
  }

  private Path resolve(String tensor, String location) {
    String prefix = ExternalData.checkRelative(tensor, location);
    Path rel = Path.of(location);
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
