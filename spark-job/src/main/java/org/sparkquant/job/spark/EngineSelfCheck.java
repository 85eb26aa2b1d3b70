package org.sparkquant.job.spark;

import java.util.HashSet;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkquant.core.exec.check.KernelSelfCheck;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.ModelFit;

/**
 * The engine self-check ({@link KernelSelfCheck}) in the JVMs of a Spark job: on the driver before Spark starts (the
 * commands do that), and on each executor JVM before its first task computes anything with a model — once per model
 * per JVM, while the JVM's other tasks wait. Local masters run their tasks in the driver's JVM, which the command
 * checked already. On by default; {@value #SETTING}{@code =false} turns it off.
 */
public final class EngineSelfCheck {
  /** The Spark setting that turns the check off. */
  public static final String SETTING = "spark.sparkquant.selfCheck";

  private static final Logger LOG = LoggerFactory.getLogger(EngineSelfCheck.class);

  private static final Set<String> CHECKED_MODELS = new HashSet<>();

  private EngineSelfCheck() {}

  /** Whether {@code conf} asks for the check. */
  public static boolean enabled(SparkConf conf) {
    return conf.getBoolean(SETTING, true);
  }

  /**
   * On an executor: checks the model of {@code modelKey} at the data's self-check shapes, unless this JVM did, or
   * the job's settings turned the check off.
   *
   * @throws IllegalStateException when the engine computes a kernel of the model wrongly on this CPU
   */
  public static synchronized void onExecutor(String modelKey, Graph graph, DataConfig data) {
    if (!EngineThreads.inExecutor() || !enabled(SparkEnv.get().conf()) || CHECKED_MODELS.contains(modelKey)) {
      return;
    }
    KernelSelfCheck.Result r = KernelSelfCheck.verify(graph, ModelFit.selfCheckShapes(data));
    CHECKED_MODELS.add(modelKey);
    LOG.info(r.summary());
  }
}
