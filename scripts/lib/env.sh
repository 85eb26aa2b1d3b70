# Sourced by SparkQuant's launchers. glibc malloc settings for engine tensors: one arena and high mmap/trim
# thresholds, so memory a run frees is reused by the next instead of being unmapped and faulted in again
# (libtorch's CPU allocator takes every tensor from malloc). Values already set in the environment win.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-268435456}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}"
ENGINE_JAVA_OPTS="-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=${SPARKQUANT_THREADS:-2} -Dai.djl.pytorch.num_interop_threads=1 -Xss8m"
# Arrow's memory module reads direct buffer addresses (calibration data in Arrow files); Spark opens the same.
ENGINE_JAVA_OPTS="$ENGINE_JAVA_OPTS --add-opens=java.base/java.nio=ALL-UNNAMED"
