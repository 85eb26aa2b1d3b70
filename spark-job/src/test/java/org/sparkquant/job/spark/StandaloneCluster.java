package org.sparkquant.job.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A real Spark standalone cluster on the loopback interface, for testing what {@code spark-submit} does on a
 * cluster: one {@code Master} and {@code workers} {@code Worker}s (one core, 2 GB each), each a separate {@code java}
 * process on the jars of a Spark home, and {@link #submit} running {@code SparkSubmit} in client mode against it.
 *
 * <p>Ports are fixed from {@code basePort} (master, master UI, then a port and a UI port per worker) and checked
 * free before anything starts, so that a collision fails clearly. Every process writes its output to a file in
 * {@code logDir}. {@link #close()} stops every process started, with its children (the executors); it also runs if
 * {@link #start} fails, and on JVM exit.
 */
final class StandaloneCluster implements AutoCloseable {

  /** Exit code and combined stdout/stderr of one {@code spark-submit}. */
  record Result(int exitCode, String output) {}

  private static final String HOST = "127.0.0.1";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration SUBMIT_TIMEOUT = Duration.ofMinutes(5);

  private final Path sparkHome;
  private final Path logDir;
  private final int basePort;
  private final List<Process> processes = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::stopAll, "standalone-cluster-stop");
  private int submissions;

  private StandaloneCluster(Path sparkHome, Path logDir, int basePort) {
    this.sparkHome = sparkHome.toAbsolutePath();
    this.logDir = logDir.toAbsolutePath();
    this.basePort = basePort;
  }

  /**
   * Starts a master and {@code workers} workers and waits until all workers registered.
   *
   * @param sparkHome directory whose {@code jars/} holds Spark's jars
   * @param logDir where process logs and worker directories go; created if missing
   * @param basePort first of the {@code 2 + 2 * workers} consecutive loopback ports used
   */
  static StandaloneCluster start(Path sparkHome, Path logDir, int basePort, int workers)
      throws IOException, InterruptedException {
    if (!Files.isDirectory(sparkHome.resolve("jars"))) {
      throw new IllegalStateException("'" + sparkHome + "/jars' does not exist: build with mvn package first");
    }
    for (int port = basePort; port < basePort + 2 + 2 * workers; port++) {
      checkFree(port);
    }
    Files.createDirectories(logDir);
    StandaloneCluster cluster = new StandaloneCluster(sparkHome, logDir, basePort);
    Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
    try {
      cluster.launch("master", "256m", "org.apache.spark.deploy.master.Master",
          "--host", HOST, "--port", String.valueOf(basePort), "--webui-port", String.valueOf(basePort + 1));
      for (int i = 1; i <= workers; i++) {
        Path workDir = Files.createDirectories(cluster.logDir.resolve("worker-" + i));
        cluster.launch("worker-" + i, "256m", "org.apache.spark.deploy.worker.Worker", cluster.masterUrl(),
            "--host", HOST, "--port", String.valueOf(basePort + 2 * i), "--webui-port",
            String.valueOf(basePort + 2 * i + 1), "--cores", "1", "--memory", "2g", "--work-dir", workDir.toString());
      }
      cluster.awaitWorkers(workers);
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** {@code spark://127.0.0.1:<basePort>}. */
  String masterUrl() {
    return "spark://" + HOST + ":" + basePort;
  }

  /** Submits {@code mainClass} of the fat jar with {@code args}; see {@link #submit(List, String, String...)}. */
  Result submit(String mainClass, String... args) throws IOException, InterruptedException {
    return submit(List.of(), mainClass, args);
  }

  /**
   * Runs {@code SparkSubmit --master <this> --deploy-mode client <options> --class mainClass <fat jar> args} as a
   * process (the driver) and returns its exit code and output, also kept in {@code logDir/submit-N.log}.
   *
   * @param options further spark-submit options, e.g. {@code --jars}, {@code --conf k=v}
   */
  Result submit(List<String> options, String mainClass, String... args) throws IOException, InterruptedException {
    return submit("client", options, mainClass, args);
  }

  /**
   * Runs {@code SparkSubmit --deploy-mode cluster}: the driver runs on a worker, and the submission waits until it
   * ends ({@code spark.standalone.submit.waitAppCompletion}); the exit code is 0 only when the driver finished. The
   * output is the submission's followed by the driver's own stdout and stderr, taken from the worker's directory.
   */
  Result submitInClusterMode(List<String> options, String mainClass, String... args)
      throws IOException, InterruptedException {
    List<String> all = new ArrayList<>(List.of("--conf", "spark.standalone.submit.waitAppCompletion=true"));
    all.addAll(options);
    Result submission = submit("cluster", all, mainClass, args);
    StringBuilder output = new StringBuilder(submission.output());
    try (var files = Files.walk(logDir)) {
      for (Path f : files.filter(f -> f.getParent().getFileName().toString().startsWith("driver-")
          && (f.getFileName().toString().equals("stdout") || f.getFileName().toString().equals("stderr")))
          .sorted().toList()) {
        output.append("\n--- ").append(logDir.relativize(f)).append('\n').append(Files.readString(f));
      }
    }
    return new Result(submission.exitCode(), output.toString());
  }

  private Result submit(String deployMode, List<String> options, String mainClass, String... args)
      throws IOException, InterruptedException {
    List<String> submitArgs = new ArrayList<>(List.of(
        "--master", masterUrl(), "--deploy-mode", deployMode, "--conf", "spark.driver.host=" + HOST));
    submitArgs.addAll(options);
    submitArgs.addAll(List.of("--class", mainClass, LocalCluster.requiredProperty(SparkContexts.APP_JAR_PROPERTY)));
    submitArgs.addAll(List.of(args));
    String name = "submit-" + (++submissions);
    Process driver = launch(name, "1g", "org.apache.spark.deploy.SparkSubmit", submitArgs.toArray(String[]::new));
    if (!driver.waitFor(SUBMIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      stop(driver);
      throw new IllegalStateException(name + " did not finish within " + SUBMIT_TIMEOUT + "; see " + log(name));
    }
    processes.remove(driver);
    return new Result(driver.exitValue(), Files.readString(log(name)));
  }

  /** Stops every process this cluster started (drivers, workers with their executors, master). Idempotent. */
  @Override
  public void close() {
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // The JVM is shutting down, or the hook was removed already.
    }
  }

  private synchronized void stopAll() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      stop(processes.get(i));
    }
    processes.clear();
  }

  private static void stop(Process process) {
    List<ProcessHandle> children = process.descendants().collect(Collectors.toList());
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  private Path log(String name) {
    return logDir.resolve(name + ".log");
  }

  private synchronized Process launch(String name, String heap, String mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-Xmx" + heap, "-Xss8m", "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
        "-Dai.djl.pytorch.num_interop_threads=1"));
    command.addAll(SparkContexts.JAVA_17_OPTIONS);
    command.addAll(List.of("-cp", sparkHome.resolve("conf") + ":" + sparkHome.resolve("jars") + "/*", mainClass));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log(name).toFile());
    Map<String, String> env = builder.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", HOST);
    env.putAll(SparkContexts.EXECUTOR_ENV);
    Process process = builder.start();
    processes.add(process);
    return process;
  }

  private void awaitWorkers(int workers) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + HOST + ":" + (basePort + 1) + "/json/"))
        .timeout(Duration.ofSeconds(5)).build();
    ObjectMapper json = new ObjectMapper();
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    int alive = 0;
    while (System.nanoTime() < deadline) {
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IllegalStateException("a cluster process exited with code " + p.exitValue() + "; see the logs in "
              + logDir);
        }
      }
      try {
        JsonNode state = json.readTree(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
        alive = state.path("aliveworkers").asInt();
        if (alive >= workers) {
          return;
        }
      } catch (IOException | UncheckedIOException e) {
        // Master UI not up yet.
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(alive + " of " + workers + " workers registered within " + STARTUP_TIMEOUT
        + "; see the logs in " + logDir);
  }

  private static void checkFree(int port) throws IOException {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
      socket.setReuseAddress(true);
    } catch (IOException e) {
      throw new IllegalStateException("port " + port + " on " + HOST + " is in use; a test cluster needs it free", e);
    }
  }
}
