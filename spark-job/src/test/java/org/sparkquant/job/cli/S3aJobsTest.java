package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.TestModels;

/**
 * The jobs with every path on S3 through S3A: a real S3 API server (S3Proxy, file system backend) on 127.0.0.1 in its
 * own JVM. Runs with the {@code s3a} Maven profile, which puts hadoop-aws and the AWS SDK on the class path.
 */
@Tag("s3a")
class S3aJobsTest {
  private static final Path LOG = Path.of("target", "s3proxy", "s3proxy.log");
  @TempDir static Path base;
  private static Process s3proxy;
  private static Path buckets;
  private static List<String> s3a;
  private static Configuration conf;

  @BeforeAll
  static void startS3() throws Exception {
    String jar = System.getProperty("sparkquant.s3proxy.jar");
    assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "S3Proxy jar (-Dsparkquant.s3proxy.jar): " + jar);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    buckets = Files.createDirectories(base.resolve("buckets"));
    Path properties = base.resolve("s3proxy.properties");
    Files.writeString(properties, String.join("\n",
        "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=none",
        "s3proxy.identity=test-access",
        "s3proxy.credential=test-secret",
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + buckets, ""));
    s3proxy = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar,
        "--properties", properties.toString())
        .redirectErrorStream(true).redirectOutput(LOG.toFile()).start();
    awaitPort(port);
    conf = new Configuration();
    conf.set("fs.s3a.endpoint", "http://127.0.0.1:" + port);
    conf.set("fs.s3a.endpoint.region", "us-east-1");
    conf.set("fs.s3a.path.style.access", "true");
    conf.set("fs.s3a.connection.ssl.enabled", "false");
    conf.set("fs.s3a.access.key", "test-access");
    conf.set("fs.s3a.secret.key", "test-secret");
    conf.set("fs.s3a.attempts.maximum", "1");
    conf.set("fs.s3a.retry.limit", "1");
    List<String> settings = new ArrayList<>();
    conf.getPropsWithPrefix("fs.s3a.").forEach((k, v) -> settings.addAll(List.of("--conf",
        "spark.hadoop.fs.s3a." + k + "=" + v)));
    s3a = List.copyOf(settings);
    for (String bucket : List.of("models", "data", "out")) {
      Files.createDirectories(buckets.resolve(bucket));
    }
    put(conf, TestModels.path(TestModels.MINILM), "s3a://models/minilm/model.onnx");
    put(conf, TestModels.path(TestModels.MINILM_TOKENIZER), "s3a://models/minilm/tokenizer.json");
    put(conf, CalibrateCommandTest.SENTENCES, "s3a://data/sentences/part-0.txt");
  }

  /** Uploads through the S3 API, as a user would. */
  private static void put(Configuration conf, Path local, String uri) throws IOException {
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(uri);
    try (var out = target.getFileSystem(conf).create(target)) {
      Files.copy(local, out);
    }
  }

  @AfterAll
  static void stopS3() {
    if (s3proxy != null) {
      s3proxy.destroy();
    }
  }

  private static void awaitPort(int port) throws Exception {
    for (int i = 0; i < 300; i++) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        if (!s3proxy.isAlive()) {
          throw new IllegalStateException("S3Proxy exited: " + Files.readString(LOG));
        }
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("S3Proxy did not open port " + port);
  }

  private static Cli.Result calibrate(String output, String... extra) {
    List<String> args = new ArrayList<>(List.of("calibrate",
        "--model", "s3a://models/minilm/model.onnx", "--tokenizer", "s3a://models/minilm/tokenizer.json",
        "--data", "s3a://data/sentences/", "--max-samples", "16", "--batch-size", "8", "--master", "local[1]",
        "--output", output));
    args.addAll(s3a);
    args.addAll(Arrays.asList(extra));
    return Cli.run(args.toArray(String[]::new));
  }

  /** The objects under {@code uri}, relative to it. */
  private static List<String> objects(String uri) throws IOException {
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(uri);
    var files = dir.getFileSystem(conf).listFiles(dir, true);
    List<String> out = new ArrayList<>();
    while (files.hasNext()) {
      out.add(files.next().getPath().toString().substring(uri.length() + 1));
    }
    return out.stream().sorted().toList();
  }

  /** The names under {@code uri}, as the S3 API lists them. */
  private static List<String> names(String uri) throws IOException {
    org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(uri);
    return Arrays.stream(dir.getFileSystem(conf).listStatus(dir)).map(s -> s.getPath().getName()).sorted().toList();
  }

  @Test
  void calibrateReadsModelTokenizerAndDataFromS3AndCommitsItsOutputWithSuccessLast() throws Exception {
    Cli.Result r = calibrate("s3a://out/minilm/w8a8");
    assertEquals(0, r.code(), r.out() + r.err());
    Path out = buckets.resolve("out/minilm/w8a8");
    assertEquals(List.of("_SUCCESS", "model.onnx", "report.json"), names("s3a://out/minilm/w8a8"));
    assertEquals(List.of("w8a8/_SUCCESS", "w8a8/model.onnx", "w8a8/report.json"), objects("s3a://out/minilm"),
        "no temporary objects are left");
    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals(16, report.get("totals").get("samples").asInt());
    Graph model = new OnnxModelReader().read(out.resolve("model.onnx"));
    assertTrue(model.nodes().stream().anyMatch(n -> n.opType().equals("QuantizeLinear")));

    Cli.Result taken = calibrate("s3a://out/minilm/w8a8");
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, taken.code());
    assertEquals("error: output directory 's3a://out/minilm/w8a8' already exists; pass --overwrite to replace it",
        taken.err().strip());
    Cli.Result skipped = calibrate("s3a://out/minilm/w8a8", "--skip-if-complete");
    assertEquals(0, skipped.code(), skipped.err());
    assertTrue(skipped.out().contains("is complete"), skipped.out());
  }

  @Test
  void aMissingBucketIsNamedInOneLineAndNothingIsWritten() throws Exception {
    Cli.Result r = calibrate("s3a://no-such-bucket/minilm/w8a8");
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code(), r.out());
    String err = r.err().strip();
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("error: ") && err.contains("s3a://no-such-bucket/minilm/w8a8")
        && err.contains("bucket does not exist"), err);
    assertFalse(Files.exists(buckets.resolve("no-such-bucket")));
  }
}
