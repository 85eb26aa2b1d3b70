package org.sparkquant.job.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.security.UserGroupInformation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.io.onnx.BadModels;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.job.spark.TestHdfs;

/**
 * The jobs with every path on HDFS: a real NameNode and DataNode on 127.0.0.1 ({@link TestHdfs}), reached through
 * {@code hdfs://} URIs like any cluster's.
 */
class HdfsJobsTest {
  @TempDir static Path base;
  private static TestHdfs cluster;
  private static FileSystem hdfs;
  private static String root;

  @BeforeAll
  static void startHdfs() throws IOException {
    cluster = TestHdfs.start(base);
    hdfs = cluster.fs();
    root = cluster.root();
    Path config = base.resolve("w8a8.yaml");
    Files.writeString(config, "version: 1\npreset: w8a8\ndata:\n  format: text\n  max_length: 64\n");
    cluster.put(config, "/conf/w8a8.yaml");
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static List<String> args(String command, String output, String... extra) {
    List<String> args = new ArrayList<>(List.of(command,
        "--model", root + "/models/minilm/model.onnx",
        "--tokenizer", root + "/models/minilm/tokenizer.json",
        "--data", root + "/data/sentences", "--max-samples", "24", "--batch-size", "8",
        "--master", "local[1]", "--output", output));
    args.addAll(Arrays.asList(extra));
    return args;
  }

  private static Cli.Result run(List<String> args) {
    return Cli.run(args.toArray(String[]::new));
  }

  private static byte[] read(String path) throws IOException {
    return cluster.read(path);
  }

  private static TreeSet<String> names(String dir) throws IOException {
    TreeSet<String> names = new TreeSet<>();
    for (FileStatus s : hdfs.listStatus(new org.apache.hadoop.fs.Path(dir))) {
      names.add(s.getPath().getName());
    }
    return names;
  }

  @Test
  void calibrateReadsModelTokenizerConfigAndDataFromHdfsAndCommitsItsOutputThere(@TempDir Path dir)
      throws Exception {
    Cli.Result r = run(args("calibrate", root + "/out/calibrate", "--config", root + "/conf/w8a8.yaml"));
    assertEquals(0, r.code(), r.out() + r.err());
    assertEquals(new TreeSet<>(List.of("_SUCCESS", "model.onnx", "report.json")), names("/out/calibrate"));
    assertTrue(names("/out").stream().noneMatch(n -> n.startsWith(".")), "no temporary directory is left behind: "
        + names("/out"));

    Path local = dir.resolve("local");
    Cli.Result same = Cli.run("calibrate", "--model", TestModels.path(TestModels.MINILM).toString(),
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(), "--data",
        CalibrateCommandTest.SENTENCES.toString(), "--max-samples", "24", "--batch-size", "8", "--master", "local[1]",
        "--config", base.resolve("w8a8.yaml").toString(), "--output", local.toString());
    assertEquals(0, same.code(), same.out() + same.err());
    ObjectMapper json = new ObjectMapper();
    JsonNode fromHdfs = json.readTree(read("/out/calibrate/report.json"));
    assertEquals(json.readTree(local.resolve("report.json").toFile()).get("layers"), fromHdfs.get("layers"),
        "the same samples give the same ranges wherever they are stored");
    assertEquals(root + "/data/sentences", fromHdfs.get("provenance").get("data").asText());
    Graph model = new OnnxModelReader().read(cluster.store(), root + "/out/calibrate/model.onnx");
    assertTrue(model.nodes().stream().anyMatch(n -> n.opType().equals("QuantizeLinear")));

    Cli.Result again = run(args("calibrate", root + "/out/calibrate", "--skip-if-complete"));
    assertEquals(0, again.code(), again.err());
    assertTrue(again.out().contains("is complete"), again.out());

    Cli.Result published = Cli.run("publish", "--output", root + "/out/calibrate", "--latest", root + "/out/latest");
    assertEquals(0, published.code(), published.err());
    assertEquals(root + "/out/calibrate\n", new String(read("/out/latest"), java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void gptqWritesItsOutputToHdfs() throws Exception {
    Cli.Result r = run(args("gptq", root + "/out/gptq", "--preset", "w4g32"));
    assertEquals(0, r.code(), r.out() + r.err());
    assertTrue(hdfs.exists(new org.apache.hadoop.fs.Path("/out/gptq/_SUCCESS")));
    JsonNode report = new ObjectMapper().readTree(read("/out/gptq/report.json"));
    assertEquals("gptq", report.get("command").asText());
    assertTrue(report.get("totals").get("gptq_layers").asInt() > 0, report.get("totals").toString());
  }

  @Test
  void qatCheckpointsOnHdfsAndAnInterruptedRunResumesFromThem() throws Exception {
    String output = root + "/out/qat";
    String checkpoints = root + "/checkpoints/qat";
    String[] training = {"--steps", "2", "--micro-batch-size", "4", "--checkpoint-every", "1",
        "--validation-fraction", "0.25", "--checkpoint-dir", checkpoints};
    List<String> stopped = args("qat", output, training);
    stopped.addAll(List.of("--resume-if-present", "--conf", "spark.sparkquant.test.qatStopAfterStep=1"));
    Cli.Result first = run(stopped);
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, first.code(), first.out());
    assertTrue(first.err().contains("stopped after step 1"), first.err());
    assertFalse(hdfs.exists(new org.apache.hadoop.fs.Path("/out/qat")), "nothing written before the end");
    assertEquals(new TreeSet<>(List.of("step-00000001")), names("/checkpoints/qat"));

    List<String> resume = args("qat", output, training);
    resume.add("--resume");
    Cli.Result resumed = run(resume);
    assertEquals(0, resumed.code(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("resuming at step 1"), resumed.out());
    assertTrue(hdfs.exists(new org.apache.hadoop.fs.Path("/out/qat/_SUCCESS")));
    assertTrue(names("/checkpoints/qat").contains("step-00000002"), "an explicit --checkpoint-dir stays in place");
    JsonNode report = new ObjectMapper().readTree(read("/out/qat/report.json"));
    assertEquals(checkpoints, report.get("provenance").get("checkpoints").asText());
  }

  @Test
  void quantizeReadsAModelWhoseTensorsAreInExternalDataOnHdfs() throws Exception {
    Graph inline = BadModels.tinyGraph();
    byte[] weights = new byte[1024];
    inline.constants().get("w").data().get(weights);
    hdfs.mkdirs(new org.apache.hadoop.fs.Path("/models/tiny/data"));
    try (var out = hdfs.create(new org.apache.hadoop.fs.Path("/models/tiny/data/weights.bin"))) {
      out.write(weights);
    }
    try (var out = hdfs.create(new org.apache.hadoop.fs.Path("/models/tiny/model.onnx"))) {
      out.write(BadModels.external(BadModels.tinyProto(), "data/weights.bin", 0).toByteArray());
    }
    Cli.Result r = Cli.run("quantize", "--model", root + "/models/tiny/model.onnx", "--preset", "w8",
        "--output", root + "/out/tiny");
    assertEquals(0, r.code(), r.out() + r.err());
    Graph q = new OnnxModelReader().read(cluster.store(), root + "/out/tiny/model.onnx");
    assertTrue(q.nodes().stream().anyMatch(n -> n.opType().equals("DequantizeLinear")));

    Cli.Result replaced = Cli.run("quantize", "--model", root + "/models/tiny/model.onnx", "--preset", "w4g32",
        "--output", root + "/out/tiny", "--overwrite");
    assertEquals(0, replaced.code(), replaced.err());
    assertEquals("w4g32", new OnnxModelReader().read(cluster.store(), root + "/out/tiny/model.onnx")
        .metadata().get("sparkquant.preset"));
    assertTrue(hdfs.exists(new org.apache.hadoop.fs.Path("/out/tiny/_SUCCESS")));
    assertTrue(names("/out").stream().noneMatch(n -> n.startsWith(".tiny")), "no old or temporary copy left: "
        + names("/out"));
  }

  @Test
  void anOutputAlreadyThereIsRefusedInOneLineAndLeftAlone() throws Exception {
    hdfs.mkdirs(new org.apache.hadoop.fs.Path("/out/taken"));
    try (var out = hdfs.create(new org.apache.hadoop.fs.Path("/out/taken/model.onnx"))) {
      out.write(new byte[] {1, 2, 3});
    }
    Cli.Result r = run(args("calibrate", root + "/out/taken"));
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code());
    assertEquals("error: output directory '" + root + "/out/taken' already exists; pass --overwrite to replace it",
        r.err().strip());
    assertArrayEquals(new byte[] {1, 2, 3}, read("/out/taken/model.onnx"));
  }

  @Test
  void aDirectoryTheUserMayNotWriteIsRefusedBeforeAnyWork() throws Exception {
    hdfs.mkdirs(new org.apache.hadoop.fs.Path("/locked"), new FsPermission((short) 0755));
    UserGroupInformation alice = UserGroupInformation.createUserForTesting("alice", new String[] {"users"});
    Cli.Result r = alice.doAs((PrivilegedExceptionAction<Cli.Result>) () ->
        run(args("calibrate", root + "/locked/out")));
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code(), r.out());
    String err = r.err().strip();
    assertTrue(err.startsWith("error: cannot create output directory '" + root + "/locked/out': permission denied:"),
        err);
    assertTrue(err.contains("user=alice, access=WRITE"), err);
    assertEquals(1, err.lines().count(), err);
    assertTrue(names("/locked").isEmpty());
  }

  @Test
  void anUnreachableNameNodeIsNamedInOneLine(@TempDir Path dir) {
    Path out = dir.resolve("out");
    Cli.Result r = Cli.run("calibrate", "--model", "hdfs://127.0.0.1:1/models/model.onnx",
        "--tokenizer", TestModels.path(TestModels.MINILM_TOKENIZER).toString(),
        "--data", CalibrateCommandTest.SENTENCES.toString(), "--master", "local[1]", "--output", out.toString(),
        "--conf", "spark.hadoop.ipc.client.connect.max.retries=0");
    assertEquals(SparkQuantCli.EXIT_BAD_INPUT, r.code(), r.out());
    String err = r.err().strip();
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("error: model file 'hdfs://127.0.0.1:1/models/model.onnx' cannot be read: cannot"
        + " connect"), err);
    assertTrue(err.contains("127.0.0.1:1") && err.contains("connection refused"), err);
    assertFalse(Files.exists(out));
  }
}
