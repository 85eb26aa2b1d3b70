package org.sparkquant.io.data;

import java.util.List;

/**
 * Turns a batch of payloads from a {@link SampleReader} into model inputs. Encoders may hold native resources (the
 * tokenizer), so they are made on the executor with {@link DataFormats#newEncoder} and closed after use; using
 * one after {@link #close()} is an {@link IllegalStateException}.
 */
public interface BatchEncoder extends AutoCloseable {
  /**
   * Encodes one batch; the batch dimension of every tensor is {@code payloads.size()}, in the order given.
   *
   * @throws IllegalArgumentException if the batch is empty or a payload cannot be decoded (the message names the
   *     sample's file where the payload carries it)
   */
  EncodedBatch encode(List<byte[]> payloads);

  @Override
  void close();
}
