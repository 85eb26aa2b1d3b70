package org.sparkquant.io.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.io.fs.FileStore;

/** External tensor data beside a model on a Hadoop file system (HDFS, S3A, ...), read range by range. */
final class StoredExternalData implements ExternalData {
  private final FileStore store;
  private final Path modelDir;

  StoredExternalData(FileStore store, Path modelFile) {
    this.store = store;
    this.modelDir = modelFile.getParent();
  }

  @Override
  public ByteBuffer read(String tensor, String location, long offset, long length) {
    String prefix = ExternalData.checkRelative(tensor, location);
    Path file = new Path(modelDir, location);
    FileStatus status = store.statusOrNull(file, "external data of tensor '" + tensor + "'");
    if (status == null) {
      throw new ModelFormatException(prefix + "does not exist next to the model");
    }
    if (!status.isFile()) {
      throw new ModelFormatException(prefix + "is not a regular file");
    }
    long size = status.getLen();
    long len = length < 0 ? size - offset : length;
    if (offset < 0 || len < 0 || offset + len > size) {
      throw ExternalData.outOfRange(tensor, location, offset, len, size);
    }
    if (len > Integer.MAX_VALUE - 8) {
      throw new ModelFormatException(prefix + "holds a tensor over 2 GiB, which a model read from '"
          + modelDir.toUri().getScheme() + ":' cannot take");
    }
    byte[] bytes = new byte[(int) len];
    try (FSDataInputStream in = store.fileSystem(file).open(file)) {
      in.readFully(offset, bytes);
    } catch (IOException e) {
      throw new ModelFormatException(prefix + "cannot be read: " + FileStore.reason(e));
    }
    return ByteBuffer.wrap(bytes);
  }
}
