package org.sparkquant.io.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The payload of one image sample: the file's URI and its bytes, undecoded. Decoding happens in the encoder, on the
 * executor that encodes the batch; carrying the URI lets it name the file when an image cannot be decoded, without
 * decoding every image twice.
 *
 * <p>Layout: the URI's UTF-8 length as a little-endian int32, the URI's UTF-8 bytes, then the file's bytes.
 *
 * @param uri the file the image came from
 * @param bytes the file's bytes (PNG, JPEG or BMP)
 */
public record ImagePayload(String uri, byte[] bytes) {
  /** Encodes this payload. */
  public byte[] toBytes() {
    byte[] name = uri.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + name.length + bytes.length).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(name.length).put(name).put(bytes).array();
  }

  /** Decodes a payload made by {@link #toBytes()}. */
  public static ImagePayload of(byte[] payload) {
    if (payload.length < 4) {
      throw new IllegalArgumentException("image payload of " + payload.length + " bytes is too short");
    }
    ByteBuffer b = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
    int n = b.getInt();
    if (n < 0 || n > payload.length - 4) {
      throw new IllegalArgumentException("image payload has a bad name length " + n);
    }
    String uri = new String(payload, 4, n, StandardCharsets.UTF_8);
    byte[] bytes = new byte[payload.length - 4 - n];
    System.arraycopy(payload, 4 + n, bytes, 0, bytes.length);
    return new ImagePayload(uri, bytes);
  }
}
