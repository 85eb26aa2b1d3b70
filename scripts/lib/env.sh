# Sourced by SparkQuant's launchers. glibc malloc settings for engine tensors: one arena and high mmap/trim
# thresholds, so memory a run frees is reused by the next instead of being unmapped and faulted in again
# (libtorch's CPU allocator takes every tensor from malloc). Values already set in the environment win.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-268435456}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}"
# OpenMP workers of the engine sleep when idle instead of spinning: on cores shared with other work (other builds,
# other executors), spinning workers burn the time slices their partners need, and a 2-thread calibration measured
# 3-4x slower and used 3x the CPU per sample with the default (active) policy.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
ENGINE_JAVA_OPTS="-Dai.djl.offline=true -Dai.djl.pytorch.num_threads=${SPARKQUANT_THREADS:-2} -Dai.djl.pytorch.num_interop_threads=1 -Xss8m"
# What Spark's launcher adds on Java 17 (org.apache.spark.launcher.JavaModuleOptions), for JVMs that run Spark
# (an embedded local master) and are started with plain java. Same list as spark.jvm.args in pom.xml.
SPARK_JVM_OPTS="-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true"
# The embedded local master binds to loopback unless told otherwise (no warning about the host's name resolving to it).
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
