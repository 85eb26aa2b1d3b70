package org.sparkquant.core.exec;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Tunes the C allocator the engine allocates tensors with. libtorch's CPU allocator takes every buffer from
 * {@code malloc} and returns it on free; with glibc's defaults, large buffers are mapped and unmapped each time, so
 * every run pays page faults for memory it just released. Raising the mmap and trim thresholds and capping the number
 * of arenas keeps freed tensor memory for reuse, as an arena allocator would (the process keeps its peak size).
 *
 * <p>Applied once per JVM, on Linux with glibc only. Opt out with {@code -Dsparkquant.malloc.tuning=false}.
 */
public final class NativeMemory {
  /** glibc {@code mallopt} parameters (malloc.h). */
  private static final int M_TRIM_THRESHOLD = -1;

  private static final int M_MMAP_THRESHOLD = -3;
  private static final int M_ARENA_MAX = -8;

  private static boolean applied;

  private NativeMemory() {}

  /** The C library's {@code mallopt}. */
  private interface CLibrary extends Library {
    int mallopt(int param, int value);
  }

  /** Applies the tuning once; returns whether it is in effect. */
  public static synchronized boolean tune() {
    if (applied || !Boolean.parseBoolean(System.getProperty("sparkquant.malloc.tuning", "true"))) {
      return applied;
    }
    if (!Platform.isLinux() || Platform.isAndroid() || System.getenv().keySet().stream().anyMatch(k -> k.startsWith("MALLOC_"))) {
      return false;
    }
    try {
      CLibrary c = Native.load("c", CLibrary.class);
      applied =
          c.mallopt(M_MMAP_THRESHOLD, 256 << 20) == 1
              & c.mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1
              & c.mallopt(M_ARENA_MAX, 1) == 1;
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      applied = false;
    }
    return applied;
  }
}
