package org.sparkquant.core.numerics;

/**
 * Codes of a quantized type to and from the bytes ONNX keeps in {@code raw_data}, so that zero points and quantized
 * weights can be written as tensors of the quantized type: 8-bit types one byte each, 16-bit types little-endian,
 * 4-bit types two per byte and 2-bit types four per byte, the first value in the lowest bits and the last byte padded
 * with zero bits. Signed integers are stored two's complement in their bit width and sign-extended when unpacked;
 * float types are stored by bit pattern (codes from {@link SmallFloats}).
 */
public final class Packing {
  private Packing() {}

  /**
   * Packs {@code codes}: values in {@code [t.min(), t.max()]} for integer types, bit patterns in
   * {@code [0, 2^bits)} for float types.
   */
  public static byte[] pack(QuantType t, int[] codes) {
    int bits = t.bits();
    int mask = (1 << bits) - 1;
    byte[] out = new byte[byteCount(t, codes.length)];
    for (int i = 0; i < codes.length; i++) {
      int c = codes[i];
      boolean fits = t.isFloat() ? c >= 0 && c <= mask : c >= t.min() && c <= t.max();
      if (!fits) {
        throw new IllegalArgumentException("code " + c + " at " + i + " is not a valid " + t + " code");
      }
      if (bits == 16) {
        out[2 * i] = (byte) c;
        out[2 * i + 1] = (byte) (c >> 8);
      } else {
        int perByte = 8 / bits;
        int shift = (i % perByte) * bits;
        out[i / perByte] |= (byte) ((c & mask) << shift);
      }
    }
    return out;
  }

  /** The first {@code count} codes in {@code bytes}, sign-extended for signed integer types. */
  public static int[] unpack(QuantType t, byte[] bytes, int count) {
    if (count < 0 || bytes.length < byteCount(t, count)) {
      throw new IllegalArgumentException(
          count + " " + t + " values need " + byteCount(t, Math.max(count, 0)) + " bytes, found " + bytes.length);
    }
    int bits = t.bits();
    int mask = (1 << bits) - 1;
    boolean signed = !t.isFloat() && t.isSigned();
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      int raw;
      if (bits == 16) {
        raw = (bytes[2 * i] & 0xFF) | (bytes[2 * i + 1] & 0xFF) << 8;
      } else {
        int perByte = 8 / bits;
        raw = ((bytes[i / perByte] & 0xFF) >>> ((i % perByte) * bits)) & mask;
      }
      out[i] = signed ? raw << (32 - bits) >> (32 - bits) : raw;
    }
    return out;
  }

  /** Bytes that {@code count} values of {@code t} occupy: {@code ceil(count · bits / 8)}. */
  public static int byteCount(QuantType t, int count) {
    return (int) (((long) count * t.bits() + 7) / 8);
  }
}
