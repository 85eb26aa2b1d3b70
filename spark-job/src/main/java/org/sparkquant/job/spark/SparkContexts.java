package org.sparkquant.job.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkContext$;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.launcher.JavaModuleOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparkquant.io.fs.FileStore;
import scala.Option;

/**
 * The Spark context every SparkQuant job starts from, configured the same way whether the job runs on an embedded
 * {@code local[*]} master from {@code scripts/sparkquant}, on a cluster through {@code spark-submit}, or in tests:
 *
 * <ul>
 *   <li>the master URL is checked before anything starts;
 *   <li>Kryo serialization with {@link SparkQuantKryoRegistrator} and {@code spark.kryo.registrationRequired=true};
 *   <li>executor JVMs get the engine settings of {@code scripts/lib/env.sh}: DJL offline, PyTorch intra-op threads =
 *       {@code spark.task.cpus} (so concurrent tasks do not oversubscribe the cores), one inter-op thread, 8 MB
 *       thread stacks, glibc malloc settings, and the Java 17 {@code --add-opens} Spark needs;
 *   <li>no web UI on local masters;
 *   <li>on masters whose executors are other JVMs, the application jar ({@value #APP_JAR_PROPERTY}, set by the
 *       launcher) in {@code spark.jars}, unless {@code spark-submit} already put it there.
 * </ul>
 *
 * <p>Settings given by the user ({@code --conf} of the command, {@code spark-submit --conf}, {@code -Dspark.*}, in
 * this order of precedence) win over these defaults, except that the serializer is always Kryo with this registrator
 * (Java serialization in a driver JVM that cannot run Kryo, see {@link #kryoCanRun()}), and executor JVM options
 * given by the user are appended after ours.
 */
public final class SparkContexts {

  /** Master used when none is given and none is set by {@code spark-submit}. */
  public static final String DEFAULT_MASTER = "local[*]";

  /** System property naming the fat jar ({@code spark-job/target/sparkquant-spark.jar}) to ship to executors. */
  public static final String APP_JAR_PROPERTY = "sparkquant.jar";

  /**
   * JVM options Spark's own launcher adds on Java 17 ({@code --add-opens} and friends); needed by every JVM running
   * Spark that is started with plain {@code java}.
   */
  public static final List<String> JAVA_17_OPTIONS = List.of(JavaModuleOptions.defaultModuleOptionArray());

  /** Environment of executor JVMs: glibc malloc settings for engine tensors, as in {@code scripts/lib/env.sh}. */
  public static final Map<String, String> EXECUTOR_ENV =
      Map.of(
          "MALLOC_ARENA_MAX", "1",
          "MALLOC_MMAP_THRESHOLD_", "268435456",
          "MALLOC_TRIM_THRESHOLD_", "1073741824");

  private static final Pattern IN_PROCESS = Pattern.compile("local(\\[\\s*(\\d+|\\*)\\s*(,\\s*\\d+\\s*)?])?");
  private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*\\d+\\s*,\\s*\\d+\\s*]");
  private static final Pattern STANDALONE = Pattern.compile("spark://[^\\s:/,]+:\\d+(,[^\\s:/,]+:\\d+)*");
  private static final Pattern KUBERNETES = Pattern.compile("k8s://\\S+");

  private static final Logger LOG = LoggerFactory.getLogger(SparkContexts.class);

  private SparkContexts() {}

  /**
   * Whether this JVM opens {@code java.nio} to class-path code, as Spark's Kryo serializer needs (it registers
   * {@code java.nio.HeapByteBuffer} with a reflective serializer). {@code spark-submit}'s launcher adds the option;
   * a driver that a standalone worker starts in cluster deploy mode lacks it.
   */
  static boolean kryoCanRun() {
    return Object.class.getModule().isOpen("java.nio", SparkContexts.class.getModule());
  }

  /**
   * Returns {@code master} if it is a master URL Spark accepts: {@code local}, {@code local[N]}, {@code local[*]},
   * {@code local[N,F]}, {@code local-cluster[N,C,M]}, {@code spark://host:port[,host:port...]}, {@code yarn} or
   * {@code k8s://...}.
   *
   * @throws IllegalArgumentException naming the value and what was expected
   */
  public static String checkMaster(String master) {
    if (master == null
        || !(IN_PROCESS.matcher(master).matches()
            || LOCAL_CLUSTER.matcher(master).matches()
            || STANDALONE.matcher(master).matches()
            || master.equals("yarn")
            || KUBERNETES.matcher(master).matches())) {
      throw new IllegalArgumentException(
          "--master: '" + master + "' is not a Spark master URL (expected local[*], local[N],"
              + " local-cluster[N,C,M], spark://host:port, yarn or k8s://https://host:port)");
    }
    return master;
  }

  /** Whether tasks run inside the driver JVM ({@code local...}, but not {@code local-cluster}). */
  public static boolean isInProcess(String master) {
    return IN_PROCESS.matcher(checkMaster(master)).matches();
  }

  /**
   * Builds the configuration of a SparkQuant job.
   *
   * @param master a master URL (checked with {@link #checkMaster}), or null for the one set by {@code spark-submit},
   *     else {@value #DEFAULT_MASTER}
   * @param appName the application name, unless {@code spark-submit --name} gave one
   * @throws IllegalArgumentException if {@code master} is not a master URL
   * @throws IllegalStateException if executors are other JVMs and no application jar is known
   */
  public static SparkConf conf(String master, String appName) {
    return conf(master, appName, Map.of());
  }

  /**
   * Builds the configuration of a SparkQuant job with the user's Spark settings ({@code --conf key=value}), which
   * win over those of {@code spark-submit} and over SparkQuant's defaults (see the class comment for the
   * exceptions). A {@code spark.master} among them is used when {@code master} is null.
   *
   * @param settings Spark settings; every key starts with {@code spark.}
   * @throws IllegalArgumentException if {@code master} is not a master URL, or a key does not start with
   *     {@code spark.}
   * @throws IllegalStateException if executors are other JVMs and no application jar is known
   */
  public static SparkConf conf(String master, String appName, Map<String, String> settings) {
    SparkConf conf = new SparkConf(); // picks up spark.* system properties, as set by spark-submit
    settings.forEach((k, v) -> conf.set(checkSetting(k), v));
    String m = checkMaster(master != null ? master : conf.get("spark.master", DEFAULT_MASTER));
    conf.setMaster(m);
    String name = conf.get("spark.app.name", "");
    if (name.isEmpty() || name.startsWith("org.sparkquant.")) { // spark-submit names the app after the main class
      conf.setAppName(appName);
    }

    if (kryoCanRun()) {
      conf.set("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
      conf.set("spark.kryo.registrator", withItem(conf.get("spark.kryo.registrator", ""),
          SparkQuantKryoRegistrator.class.getName()));
      conf.setIfMissing("spark.kryo.registrationRequired", "true");
    } else {
      conf.set("spark.serializer", "org.apache.spark.serializer.JavaSerializer");
      LOG.warn("this driver JVM was started without --add-opens=java.base/java.nio=ALL-UNNAMED (Spark's standalone"
          + " cluster deploy mode starts drivers so), which Spark's Kryo serializer needs: using Java serialization");
    }

    int taskCpus = conf.getInt("spark.task.cpus", 1);
    List<String> executorOptions = new ArrayList<>(List.of(
        "-Dai.djl.offline=true",
        "-Dai.djl.pytorch.num_threads=" + taskCpus,
        "-Dai.djl.pytorch.num_interop_threads=1",
        "-Xss8m"));
    executorOptions.addAll(JAVA_17_OPTIONS);
    String userOptions = conf.get("spark.executor.extraJavaOptions", "").trim();
    if (!userOptions.isEmpty()) {
      executorOptions.add(userOptions);
    }
    conf.set("spark.executor.extraJavaOptions", String.join(" ", executorOptions));
    EXECUTOR_ENV.forEach((k, v) -> conf.setIfMissing("spark.executorEnv." + k, v));

    boolean local = m.startsWith("local");
    if (local) {
      conf.setIfMissing("spark.ui.enabled", "false");
    }
    if (!isInProcess(m)) {
      String appJar = System.getProperty(APP_JAR_PROPERTY);
      if (appJar != null) {
        addJar(conf, Path.of(appJar));
      } else if (conf.get("spark.jars", "").isBlank()) {
        throw new IllegalStateException(
            "--master " + m + " runs tasks in other JVMs, which need SparkQuant's jar: run through spark-submit"
                + " with target/sparkquant-spark.jar, or through scripts/sparkquant (it sets -D" + APP_JAR_PROPERTY
                + ")");
      }
    }
    return conf;
  }

  /**
   * The Hadoop configuration of a job's driver-side file work (model, config, data listing, output) before any context
   * starts: the active context's when the application has one; else the one a context started from {@code conf} would
   * have: Hadoop's defaults and {@code *-site.xml} files, then the {@code spark.hadoop.*} entries of {@code conf}
   * (and the AWS credentials of the environment), as Spark applies them.
   */
  private static Configuration hadoopConfiguration(SparkConf conf) {
    Option<SparkContext> active = activeContext();
    if (active.isDefined()) {
      Configuration hadoop = new Configuration(active.get().hadoopConfiguration());
      SparkHadoopUtil.get().appendSparkHadoopConfigs(conf, hadoop);
      return hadoop;
    }
    return SparkHadoopUtil.get().newConfiguration(conf);
  }

  /** The application's running context, if it has one. */
  public static Option<SparkContext> activeContext() {
    return SparkContext$.MODULE$.getActive();
  }

  /** The files a job reaches with {@link #hadoopConfiguration(SparkConf)}. */
  public static FileStore fileStore(SparkConf conf) {
    return new FileStore(hadoopConfiguration(conf));
  }

  /** Starts a context with {@link #conf(String, String)}; the caller closes it. */
  public static JavaSparkContext start(String master, String appName) {
    return new JavaSparkContext(conf(master, appName));
  }

  /** Starts a context with {@link #conf(String, String, Map)}; the caller closes it. */
  public static JavaSparkContext start(String master, String appName, Map<String, String> settings) {
    return new JavaSparkContext(conf(master, appName, settings));
  }

  /**
   * Returns {@code key} if it names a Spark setting ({@code spark.*}, as {@code spark-submit --conf} requires).
   *
   * @throws IllegalArgumentException naming the key and what was expected
   */
  public static String checkSetting(String key) {
    if (key == null || !key.startsWith("spark.") || key.length() == "spark.".length() || key.contains(" ")) {
      throw new IllegalArgumentException("--conf: '" + key + "' is not a Spark setting (expected spark.<name>=<value>,"
          + " e.g. spark.task.cpus=2)");
    }
    return key;
  }

  /**
   * Adds {@code jar} to {@code spark.jars} unless a jar of that file name is there already.
   *
   * @throws IllegalStateException if the jar does not exist (not built yet)
   */
  static SparkConf addJar(SparkConf conf, Path jar) {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "application jar '" + jar + "' does not exist: build it with mvn package (it is spark-job/target/"
              + "sparkquant-spark.jar)");
    }
    String jars = conf.get("spark.jars", "");
    String fileName = jar.getFileName().toString();
    boolean present = Arrays.stream(jars.split(",")).map(String::trim)
        .anyMatch(j -> j.equals(fileName) || j.endsWith("/" + fileName));
    if (!present) {
      conf.set("spark.jars", withItem(jars, jar.toAbsolutePath().toString()));
    }
    return conf;
  }

  private static String withItem(String commaList, String item) {
    if (commaList.isBlank()) {
      return item;
    }
    return Arrays.asList(commaList.split(",")).contains(item) ? commaList : commaList + "," + item;
  }
}
