package org.sparkquant.job.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskEndReason;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.JobSucceeded$;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * What happened to the tasks of a {@code calibrate} run, seen from its driver: registered through
 * {@code --conf spark.extraListeners=org.sparkquant.job.spark.CalibrationTaskEvents}, it records the end of every
 * task of the calibration stage (the stage that runs the model; the last stage of the job described
 * {@code "calibrate: N samples in B batches on P partitions"}), executors removed while that job ran, and whether it succeeded.
 *
 * <p>With {@value #KILL_EXECUTOR} set to {@code true} it also kills, with SIGKILL, the executor JVM that runs the
 * first task of the calibration stage, as soon as that task starts: the task is then still loading the engine and
 * preparing the model, which takes seconds. Executor JVMs are found among the descendants of this process
 * ({@code local-cluster} starts them) by the {@code --executor-id} in their command line.
 *
 * <p>Spark makes one instance per context; {@link #latest()} is the last one made. Read it after the context
 * stopped (stopping drains the listener bus).
 */
public final class CalibrationTaskEvents extends SparkListener {
  /** Setting: kill the executor running the first task of the calibration stage. */
  static final String KILL_EXECUTOR = "spark.sparkquant.test.killExecutorAtCalibrationStart";

  /** One ended task of the calibration stage. */
  record TaskEnd(int stageAttempt, int partition, int attempt, String executor, boolean successful, String reason) {}

  private static volatile CalibrationTaskEvents latest;

  private final boolean kill;
  private int calibrationJob = -1;
  private int calibrationStage = -1;
  private final List<TaskEnd> ends = new ArrayList<>();
  private final List<String> removedExecutors = new ArrayList<>();
  private String killed;
  private String killError;
  private Boolean succeeded;

  public CalibrationTaskEvents(SparkConf conf) {
    this.kill = conf.getBoolean(KILL_EXECUTOR, false);
    latest = this;
  }

  /** The listener of the last context started with it. */
  static CalibrationTaskEvents latest() {
    if (latest == null) {
      throw new IllegalStateException("no context was started with " + CalibrationTaskEvents.class.getName());
    }
    return latest;
  }

  /** {@code --conf} arguments that register this listener; with {@code killExecutor}, it kills one executor. */
  static String[] confArgs(boolean killExecutor) {
    return new String[] {"--conf", "spark.extraListeners=" + CalibrationTaskEvents.class.getName(),
        "--conf", KILL_EXECUTOR + "=" + killExecutor};
  }

  synchronized List<TaskEnd> taskEnds() {
    return List.copyOf(ends);
  }

  synchronized List<TaskEnd> failures() {
    return ends.stream().filter(e -> !e.successful()).collect(Collectors.toList());
  }

  /** Executors that ran a successful task of the calibration stage. */
  synchronized List<String> executorsThatCalibrated() {
    return ends.stream().filter(TaskEnd::successful).map(TaskEnd::executor).distinct().sorted()
        .collect(Collectors.toList());
  }

  /** Executors removed while the calibration job ran, with the reason. */
  synchronized List<String> removedExecutors() {
    return List.copyOf(removedExecutors);
  }

  /** {@code "executor E, pid P"} of the executor killed, or null. */
  synchronized String killed() {
    return killed;
  }

  /** Why no executor could be killed, or null. */
  synchronized String killError() {
    return killError;
  }

  /** Whether the calibration job succeeded; null if it did not end (or never started). */
  synchronized Boolean succeeded() {
    return succeeded;
  }

  @Override
  public synchronized String toString() {
    return "calibration job " + calibrationJob + " stage " + calibrationStage + " succeeded " + succeeded
        + ", killed " + killed + (killError == null ? "" : " (" + killError + ")") + ", removed executors "
        + removedExecutors + ", task ends " + ends;
  }

  @Override
  public synchronized void onJobStart(SparkListenerJobStart jobStart) {
    Properties p = jobStart.properties();
    String description = p == null ? null : p.getProperty("spark.job.description");
    if (description != null && description.startsWith("calibrate: ") && description.contains(" batches on ")) {
      calibrationJob = jobStart.jobId();
      // Parent stages get their ids first: the result stage has the highest.
      for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(jobStart.stageIds())) {
        calibrationStage = Math.max(calibrationStage, (Integer) id);
      }
    }
  }

  @Override
  public synchronized void onTaskStart(SparkListenerTaskStart taskStart) {
    if (kill && killed == null && killError == null && taskStart.stageId() == calibrationStage) {
      killExecutor(taskStart.taskInfo().executorId());
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    if (taskEnd.stageId() != calibrationStage) {
      return;
    }
    TaskEndReason reason = taskEnd.reason();
    String text = reason instanceof TaskFailedReason f ? f.toErrorString() : reason.toString();
    ends.add(new TaskEnd(taskEnd.stageAttemptId(), taskEnd.taskInfo().partitionId(),
        taskEnd.taskInfo().attemptNumber(), taskEnd.taskInfo().executorId(), taskEnd.taskInfo().successful(),
        text.lines().findFirst().orElse("")));
  }

  @Override
  public synchronized void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    if (calibrationJob < 0 || succeeded != null) {
      return; // not while the calibration job runs (e.g. when the context stops)
    }
    removedExecutors.add(removed.executorId() + " (" + removed.reason() + ")");
  }

  @Override
  public synchronized void onJobEnd(SparkListenerJobEnd jobEnd) {
    if (jobEnd.jobId() == calibrationJob) {
      succeeded = jobEnd.jobResult() == JobSucceeded$.MODULE$;
    }
  }

  private void killExecutor(String executorId) {
    List<String> seen = new ArrayList<>();
    Optional<ProcessHandle> executor = ProcessHandle.current().descendants().filter(h -> {
      List<String> args = List.of(h.info().arguments().orElse(new String[0]));
      if (!args.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend")) {
        return false;
      }
      int i = args.indexOf("--executor-id");
      String id = i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "?";
      seen.add(id + ":" + h.pid());
      return id.equals(executorId);
    }).findFirst();
    if (executor.isEmpty()) {
      killError = "no executor JVM with id " + executorId + " among this process's descendants " + seen;
      return;
    }
    ProcessHandle h = executor.get();
    if (h.destroyForcibly()) {
      killed = "executor " + executorId + ", pid " + h.pid();
    } else {
      killError = "could not kill executor " + executorId + ", pid " + h.pid();
    }
  }
}
