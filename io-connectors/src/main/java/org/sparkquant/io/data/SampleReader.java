package org.sparkquant.io.data;

import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;

/**
 * Reads the samples of one data file, in file order, as raw payloads that the matching {@link BatchEncoder} turns into
 * model inputs. Readers hold settings only, so they are serializable and can be sent to executors; each call to
 * {@link #read} opens the file and the returned iterator must be closed.
 */
public interface SampleReader extends Serializable {
  /**
   * Opens {@code uri} (any Hadoop file system) and iterates over its samples.
   *
   * @throws IOException if the file cannot be opened
   */
  CloseableIterator<byte[]> read(String uri, Configuration conf) throws IOException;
}
