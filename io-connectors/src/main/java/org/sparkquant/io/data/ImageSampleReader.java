package org.sparkquant.io.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Images: one sample per file, an {@link ImagePayload} holding the file's URI and bytes, followed by the label when the
 * data is labelled: the class named by the image's directory.
 */
final class ImageSampleReader implements SampleReader {
  private static final long serialVersionUID = 1L;

  /** The classes by directory name, or null for unlabelled images. */
  private final Labels labels;

  ImageSampleReader(Labels labels) {
    this.labels = labels;
  }

  /** The class index of the image at {@code uri}: its directory's place in the classes. */
  long label(String uri) {
    Path parent = new Path(uri).getParent();
    String dir = parent == null ? "" : parent.getName();
    int index = labels.classes().indexOf(dir);
    if (index < 0) {
      throw new IllegalArgumentException("image '" + uri + "' is in directory '" + dir + "', which is not one of"
          + " data.label.classes " + labels.classes());
    }
    return index;
  }

  /** Larger files are refused rather than read into memory. */
  static final long MAX_BYTES = 256L << 20;

  @Override
  public CloseableIterator<byte[]> read(String uri, Configuration conf) throws IOException {
    Path path = new Path(uri);
    long label = labels == null ? -1 : label(uri);
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
    byte[] image = new ImagePayload(uri, bytes).toBytes();
    byte[] payload = labels == null ? image : LabelledEncoder.withLabel(image, label);
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
