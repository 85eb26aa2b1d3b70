package org.sparkquant.job.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;

/** The console logging bundled in the jar: quiet, but task retries and lost executors still show. */
class ConsoleLoggingTest {
  private static final String TASKS = "org.apache.spark.scheduler.TaskSetManager";

  private static boolean shown(Configuration config, String logger, Level level, String message) {
    LoggerConfig lc = config.getLoggerConfig(logger);
    LogEvent event = Log4jLogEvent.newBuilder().setLoggerName(logger).setLevel(level)
        .setMessage(new SimpleMessage(message)).build();
    return lc.getLevel().isLessSpecificThan(level) && !lc.isFiltered(event);
  }

  @Test
  void theBundledConfigurationShowsRetriesAndLostExecutorsButNotBadInputTwice() throws Exception {
    try (LoggerContext context = Configurator.initialize("bundled", null,
        ConsoleLogging.class.getResource(ConsoleLogging.BUNDLED).toURI())) {
      Configuration config = context.getConfiguration();
      assertFalse(ConsoleLogging.onDefaults(config));
      assertTrue(shown(config, TASKS, Level.WARN, "Lost task 1.0 in stage 2.0 (TID 7) (10.0.0.3 executor 1):"
          + " ExecutorLostFailure (executor 1 exited caused by one of the running tasks) Reason: Command exited"
          + " with code 137"));
      assertTrue(shown(config, TASKS, Level.ERROR, "Task 1 in stage 2.0 failed 4 times; aborting job"));
      assertFalse(shown(config, TASKS, Level.WARN, "Lost task 0.0 in stage 0.0 (TID 0) (host executor driver):"
          + " java.lang.IllegalArgumentException: image 'a.png' could not be decoded\n\tat org.sparkquant.X"));
      assertFalse(shown(config, TASKS, Level.WARN, "Lost task 0.0 in stage 2.0 (TID 8) (host executor driver):"
          + " org.sparkquant.core.observer.NonFiniteValuesException: tensor 'scaled' has 48 NaN values"));
      assertTrue(shown(config, TASKS, Level.WARN, "Lost task 0.0 in stage 2.0 (TID 8) (host executor 2):"
          + " java.lang.OutOfMemoryError: Java heap space\n\tat org.sparkquant.core.exec.DjlExecutor.run"));
      assertFalse(shown(config, TASKS, Level.ERROR, "Task 0 in stage 0.0 failed 1 times; aborting job"));
      assertFalse(shown(config, "org.apache.spark.SparkContext", Level.INFO, "Running Spark version 4.1.1"));
      assertTrue(shown(config, "org.sparkquant.job.calibrate.CalibrationProgress", Level.INFO, "batch 3/8"));
      assertEquals(Level.OFF, config.getLoggerConfig("org.apache.spark.executor.Executor").getLevel());
    }
  }

  @Test
  void onlyLog4jsOrSparksDefaultsAreReplaced() {
    assertTrue(ConsoleLogging.onDefaults(new DefaultConfiguration()));
  }
}
