package org.sparkquant.job.spark;

import java.net.URISyntaxException;
import java.net.URL;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext$;

/**
 * Quiet console logging wherever the command runs. Under {@code spark-submit} on a Spark installation whose
 * {@code conf/} has no {@code log4j2.properties} (the distribution ships only a template), Spark logs at INFO from its
 * built-in defaults; the command then switches to the configuration bundled in the jar (that of
 * {@code conf/log4j2.properties}: warnings from libraries, including task retries and lost executors, and info from
 * SparkQuant). A configuration the user or the cluster gave ({@code -Dlog4j2.configurationFile},
 * {@code SPARK_HOME/conf/log4j2.properties}) is left as it is.
 */
public final class ConsoleLogging {
  static final String BUNDLED = "log4j2.properties";

  private ConsoleLogging() {}

  /**
   * Switches to the bundled configuration when only log4j2's or Spark's defaults are in effect: in the logging
   * context of Spark's class loader (under {@code spark-submit} the application's classes have a loader of their
   * own, whose context would otherwise be configured apart from Spark's) and in this class's.
   */
  public static void quietUnlessConfigured() {
    URL bundled = ConsoleLogging.class.getResource(BUNDLED);
    if (bundled == null) {
      return;
    }
    // Spark configures log4j2 lazily, once (again after spark-submit hands over to the application): let it do so
    // now, silently, so that what it chose can be seen and replaced.
    SparkContext$.MODULE$.initializeLogIfNecessary(false, true);
    Set<LoggerContext> contexts = new LinkedHashSet<>();
    for (ClassLoader loader : new ClassLoader[] {SparkConf.class.getClassLoader(),
        ConsoleLogging.class.getClassLoader()}) {
      if (LogManager.getContext(loader, false) instanceof LoggerContext context) {
        contexts.add(context);
      }
    }
    for (LoggerContext context : contexts) {
      if (onDefaults(context.getConfiguration())) {
        try {
          context.setConfigLocation(bundled.toURI());
        } catch (URISyntaxException e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  /** Whether {@code config} is log4j2's fallback or Spark's {@code log4j2-defaults.properties}. */
  static boolean onDefaults(Configuration config) {
    if (config instanceof DefaultConfiguration) {
      return true;
    }
    ConfigurationSource source = config.getConfigurationSource();
    String location = source == null ? null : source.getLocation();
    return location == null || location.endsWith("org/apache/spark/log4j2-defaults.properties");
  }
}
