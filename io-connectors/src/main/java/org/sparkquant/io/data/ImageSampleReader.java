package org.sparkquant.io.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Images: one sample per file, an {@link ImagePayload} holding the file's URI and bytes. */
final class ImageSampleReader implements SampleReader {
  private static final long serialVersionUID = 1L;

  /** Larger files are refused rather than read into memory. */
  static final long MAX_BYTES = 256L << 20;

  @Override
  public CloseableIterator<byte[]> read(String uri, Configuration conf) throws IOException {
    Path path = new Path(uri);
    FileSystem fs = path.getFileSystem(conf);
    long size = fs.getFileStatus(path).getLen();
    if (size > MAX_BYTES) {
      throw new IllegalArgumentException("image '" + uri + "' has " + size + " bytes; images over " + MAX_BYTES
          + " bytes are not read");
    }
    byte[] bytes;
    try (InputStream in = fs.open(path)) {
      bytes = in.readAllBytes();
    }
    byte[] payload = new ImagePayload(uri, bytes).toBytes();
    return new CloseableIterator<>() {
      private boolean taken;

      @Override
      public boolean hasNext() {
        return !taken;
      }

      @Override
      public byte[] next() {
        if (taken) {
          throw new NoSuchElementException();
        }
        taken = true;
        return payload;
      }

      @Override
      public void close() {
        taken = true;
      }
    };
  }
}
