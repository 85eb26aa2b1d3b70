package org.sparkquant.core.numerics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PackingTest {

  @Test
  void everyTypeRoundTripsOddCountsAndExtremeValues() {
    Random random = new Random(11);
    for (QuantType t : QuantType.values()) {
      int lo = t.isFloat() ? 0 : t.min();
      int hi = t.isFloat() ? (1 << t.bits()) - 1 : t.max();
      for (int count : new int[] {0, 1, 2, 3, 4, 5, 7, 9, 33}) {
        int[] codes = new int[count];
        for (int i = 0; i < count; i++) {
          codes[i] = switch (i % 4) {
            case 0 -> hi;
            case 1 -> lo;
            case 2 -> t.isFloat() || !t.isSigned() ? hi - 1 : -1;
            default -> lo + random.nextInt(hi - lo + 1);
          };
        }
        byte[] packed = Packing.pack(t, codes);
        assertEquals((count * t.bits() + 7) / 8, packed.length, t + " bytes for " + count);
        assertArrayEquals(codes, Packing.unpack(t, packed, count), t + " count " + count);
      }
    }
  }

  @Test
  void fourBitValuesFillTheLowNibbleFirstAndPadTheLastByte() {
    assertArrayEquals(new byte[] {(byte) 0xF1, 0x07}, Packing.pack(QuantType.INT4, new int[] {1, -1, 7}));
    assertArrayEquals(new byte[] {0x5A}, Packing.pack(QuantType.UINT4, new int[] {0xA, 0x5}));
    assertArrayEquals(new byte[] {(byte) 0xE9}, Packing.pack(QuantType.FP4_E2M1, new int[] {0x9, 0xE}));
  }

  @Test
  void twoBitValuesFillTheLowestBitsFirst() {
    // 1 -> 01, -2 -> 10, -1 -> 11, 0 -> 00, then 1 alone in the second byte.
    assertArrayEquals(new byte[] {0x39, 0x01}, Packing.pack(QuantType.INT2, new int[] {1, -2, -1, 0, 1}));
    assertArrayEquals(new byte[] {(byte) 0xE4}, Packing.pack(QuantType.UINT2, new int[] {0, 1, 2, 3}));
  }

  @Test
  void sixteenBitValuesAreLittleEndian() {
    assertArrayEquals(new byte[] {(byte) 0xFE, (byte) 0xFF, 0x34, 0x12},
        Packing.pack(QuantType.INT16, new int[] {-2, 0x1234}));
    assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xFF}, Packing.pack(QuantType.UINT16, new int[] {65535}));
  }

  @Test
  void eightBitValuesTakeOneByteEachAsTwosComplement() {
    assertArrayEquals(new byte[] {(byte) 0x80, 0x7F, (byte) 0xFF}, Packing.pack(QuantType.INT8, new int[] {-128, 127, -1}));
    assertArrayEquals(new byte[] {(byte) 0xFF, 0x00}, Packing.pack(QuantType.UINT8, new int[] {255, 0}));
    assertArrayEquals(new byte[] {(byte) 0xFE}, Packing.pack(QuantType.FP8_E4M3FN, new int[] {0xFE}));
  }

  @Test
  void signedValuesAreSignExtendedOnUnpack() {
    byte[] b = {(byte) 0xF8};
    assertArrayEquals(new int[] {-8, -1}, Packing.unpack(QuantType.INT4, b, 2));
    assertArrayEquals(new int[] {8, 15}, Packing.unpack(QuantType.UINT4, b, 2));
    assertArrayEquals(new int[] {0, -2, -1, -1}, Packing.unpack(QuantType.INT2, b, 4));
    assertArrayEquals(new int[] {0, 2, 3, 3}, Packing.unpack(QuantType.UINT2, b, 4));
    assertArrayEquals(new int[] {-8}, Packing.unpack(QuantType.INT8, b, 1));
    assertArrayEquals(new int[] {0xF8}, Packing.unpack(QuantType.FP8_E5M2, b, 1));
  }

  @Test
  void codesOutsideTheTypeAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Packing.pack(QuantType.INT4, new int[] {8}));
    assertThrows(IllegalArgumentException.class, () -> Packing.pack(QuantType.UINT2, new int[] {4}));
    assertThrows(IllegalArgumentException.class, () -> Packing.pack(QuantType.INT8, new int[] {-129}));
    assertThrows(IllegalArgumentException.class, () -> Packing.pack(QuantType.FP8_E4M3FN, new int[] {256}));
    assertThrows(IllegalArgumentException.class, () -> Packing.pack(QuantType.FP4_E2M1, new int[] {-1}));
  }

  @Test
  void unpackRejectsTooFewBytes() {
    assertThrows(IllegalArgumentException.class, () -> Packing.unpack(QuantType.INT4, new byte[1], 3));
    assertThrows(IllegalArgumentException.class, () -> Packing.unpack(QuantType.UINT16, new byte[3], 2));
  }
}
