package org.sparkquant.io.onnx;

import java.nio.ByteBuffer;
import org.sparkquant.core.graph.ModelFormatException;

/**
 * Where a model's external tensor data is read from, resolved safely: a location must be a relative path that stays
 * inside the model's directory. Absolute paths and {@code ..} segments are rejected, so an untrusted model cannot
 * make SparkQuant read arbitrary files.
 */
interface ExternalData {
  /**
   * Reads {@code length} bytes at {@code offset} of {@code location} (length -1: to the end of the file).
   *
   * @param tensor tensor name, for messages
   */
  ByteBuffer read(String tensor, String location, long offset, long length);

  /** Checks that {@code location} is relative and has no {@code ..}; returns the prefix of further messages. */
  static String checkRelative(String tensor, String location) {
    String prefix = "tensor '" + tensor + "': external data location '" + location + "' ";
    if (location == null || location.isEmpty()) {
      throw new ModelFormatException(prefix + "is empty");
    }
    if (location.startsWith("/") || location.startsWith("\\") || location.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) {
      throw new ModelFormatException(prefix + "is absolute; it must be relative to the model's directory");
    }
    for (String part : location.split("[/\\\\]")) {
      if (part.equals("..")) {
        throw new ModelFormatException(prefix + "contains '..'; it must stay inside the model's directory");
      }
    }
    return prefix;
  }

  static ModelFormatException outOfRange(String tensor, String location, long offset, long length, long size) {
    return new ModelFormatException("tensor '" + tensor + "': external data range offset=" + offset + " length="
        + length + " exceeds file '" + location + "' of " + size + " bytes");
  }
}
