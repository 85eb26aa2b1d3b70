package org.sparkquant.job.samples;

import java.io.Serializable;
import java.util.Comparator;

/**
 * A calibration sample's place in the data (file number in the sorted file list, record number in the file) and a
 * hash of its content with the job's seed. Ordering by hash picks the same samples under {@code --max-samples}
 * whatever the partitioning: a pseudo-random choice that depends only on the data and the seed.
 *
 * @param hash seeded 64-bit hash of the sample's bytes
 * @param file index of the file in the sorted file list
 * @param index record number within the file
 */
public record SampleKey(long hash, int file, long index) implements Comparable<SampleKey>, Serializable {
  /** File order: by file, then record. */
  public static final Comparator<SampleKey> BY_POSITION =
      Comparator.comparingInt(SampleKey::file).thenComparingLong(SampleKey::index);

  /** The key of record {@code index} of file {@code file} with content {@code payload}. */
  public static SampleKey of(long seed, int file, long index, byte[] payload) {
    return new SampleKey(hash(seed, payload), file, index);
  }

  /** FNV-1a over the bytes, seeded, with a SplitMix64 finalizer so that nearby inputs spread. */
  static long hash(long seed, byte[] payload) {
    long h = 0xcbf29ce484222325L ^ mix(seed);
    for (byte b : payload) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    return mix(h);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Hash order; ties (equal content) by position. */
  @Override
  public int compareTo(SampleKey o) {
    int c = Long.compare(hash, o.hash);
    return c != 0 ? c : BY_POSITION.compare(this, o);
  }
}
