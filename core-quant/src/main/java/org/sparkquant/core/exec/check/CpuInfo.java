package org.sparkquant.core.exec.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The processor this JVM runs on: its model name and the instruction-set flags that decide which native kernels run
 * (AVX, AVX2, FMA, AVX-512 and its extensions, AMX), from {@code /proc/cpuinfo} where there is one.
 */
public record CpuInfo(String model, List<String> flags) {
  public CpuInfo {
    flags = List.copyOf(flags);
  }

  /** The current machine's processor. */
  public static CpuInfo current() {
    String model = System.getProperty("os.arch");
    List<String> flags = List.of();
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (Files.isReadable(cpuinfo)) {
      try {
        for (String line : Files.readAllLines(cpuinfo)) {
          int colon = line.indexOf(':');
          if (colon < 0) {
            continue;
          }
          String key = line.substring(0, colon).trim();
          String value = line.substring(colon + 1).trim();
          if (key.equals("model name") && model.equals(System.getProperty("os.arch"))) {
            model = value;
          } else if ((key.equals("flags") || key.equals("Features")) && flags.isEmpty()) {
            flags = Arrays.stream(value.split("\\s+")).filter(CpuInfo::decidesKernels).sorted().toList();
          }
        }
      } catch (IOException e) {
        // the model and flags stay unknown
      }
    }
    return new CpuInfo(model, flags);
  }

  private static boolean decidesKernels(String flag) {
    String f = flag.toLowerCase(Locale.ROOT);
    return f.startsWith("avx") || f.startsWith("amx") || f.equals("fma") || f.equals("f16c") || f.equals("asimd")
        || f.startsWith("sve") || f.equals("bf16") || f.equals("i8mm");
  }

  /** {@code model (flag flag ...)}, for logs and error messages. */
  @Override
  public String toString() {
    return model + " (" + (flags.isEmpty() ? "flags unknown" : String.join(" ", flags)) + ")";
  }
}
