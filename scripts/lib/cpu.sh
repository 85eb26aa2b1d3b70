# Sourced by the benchmarks: prints the processor model and the instruction-set flags that decide which native
# kernels run, so every figure a benchmark prints comes with the CPU that produced it.
print_cpu() {
  local model flags
  model="$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')"
  flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | tr ' ' '\n' \
    | grep -E '^(avx|amx|fma$|f16c$)' | sort | tr '\n' ' ' | sed 's/ *$//')"
  echo "cpu: ${model:-$(uname -m)} (${flags:-flags unknown}), $(nproc) cores"
}
