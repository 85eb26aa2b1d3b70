package org.sparkquant.job.spark;

import java.nio.file.Path;
import java.time.Duration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Spark contexts on {@code local-cluster[2,1,2048]}: two executor JVMs of one core each, started from the Spark home
 * of the build ({@code SPARK_HOME}), with the fat jar and this module's test jar in {@code spark.jars} so that
 * lambdas of test classes run on the executors. For integration tests (failsafe sets the environment and the
 * {@code sparkquant.*} system properties).
 */
final class LocalCluster {
  /** Executor JVMs of {@link #MASTER}. */
  static final int EXECUTORS = 2;

  static final String MASTER = "local-cluster[" + EXECUTORS + ",1,2048]";

  private LocalCluster() {}

  /** SparkQuant's configuration on {@link #MASTER}, plus the test jar and the test classes' Kryo registrations. */
  static SparkConf conf(String appName) {
    SparkConf conf = EngineProbe.conf(MASTER, appName);
    return SparkContexts.addJar(conf, Path.of(requiredProperty("sparkquant.test.jar")));
  }

  /** Starts a context on {@link #MASTER} and waits until both executors registered; the caller closes it. */
  static JavaSparkContext start(String appName) throws InterruptedException {
    requiredEnv("SPARK_HOME");
    JavaSparkContext sc = new JavaSparkContext(conf(appName));
    try {
      EngineProbe.awaitExecutors(sc, EXECUTORS, Duration.ofSeconds(90));
      return sc;
    } catch (RuntimeException | InterruptedException e) {
      sc.close();
      throw e;
    }
  }

  static String requiredProperty(String name) {
    String value = System.getProperty(name);
    if (value == null) {
      throw new IllegalStateException("system property " + name + " is not set: run integration tests with mvn verify");
    }
    return value;
  }

  static String requiredEnv(String name) {
    String value = System.getenv(name);
    if (value == null) {
      throw new IllegalStateException("environment variable " + name + " is not set: run integration tests with mvn verify");
    }
    return value;
  }
}
