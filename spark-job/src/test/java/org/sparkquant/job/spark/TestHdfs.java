package org.sparkquant.job.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.sparkquant.io.fs.FileStore;
import org.sparkquant.io.onnx.TestModels;

/**
 * A real HDFS for tests: a NameNode and a DataNode on 127.0.0.1 ({@link MiniDFSCluster}) with permissions checked,
 * holding MiniLM ({@code /models/minilm/model.onnx}, {@code tokenizer.json}) and the calibration sentences
 * ({@code /data/sentences/part-0.txt}).
 */
public final class TestHdfs implements AutoCloseable {
  /** The calibration sentences of the repository. */
  public static final Path SENTENCES = Path.of("..", "data", "sentences", "calibration.txt").toAbsolutePath()
      .normalize();

  private final MiniDFSCluster cluster;
  private final FileSystem fs;

  private TestHdfs(MiniDFSCluster cluster) throws IOException {
    this.cluster = cluster;
    this.fs = cluster.getFileSystem();
  }

  /** Starts HDFS with its storage under {@code dir} and uploads the test files. */
  public static TestHdfs start(Path dir) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
    conf.setBoolean("dfs.permissions.enabled", true);
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    TestHdfs hdfs = new TestHdfs(cluster);
    try {
      cluster.waitActive();
      hdfs.put(TestModels.path(TestModels.MINILM), "/models/minilm/model.onnx");
      hdfs.put(TestModels.path(TestModels.MINILM_TOKENIZER), "/models/minilm/tokenizer.json");
      hdfs.put(SENTENCES, "/data/sentences/part-0.txt");
      return hdfs;
    } catch (IOException | RuntimeException e) {
      hdfs.close();
      throw e;
    }
  }

  /** {@code hdfs://127.0.0.1:PORT}. */
  public String root() {
    return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
  }

  public FileSystem fs() {
    return fs;
  }

  /** The files of this HDFS, as the jobs see them. */
  public FileStore store() {
    return new FileStore(fs.getConf());
  }

  /** Copies local {@code file} to {@code path}. */
  public void put(Path file, String path) throws IOException {
    fs.copyFromLocalFile(new org.apache.hadoop.fs.Path(file.toUri()), new org.apache.hadoop.fs.Path(path));
  }

  /** The bytes at {@code path}. */
  public byte[] read(String path) throws IOException {
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(path))) {
      return in.readAllBytes();
    }
  }

  public boolean exists(String path) throws IOException {
    return fs.exists(new org.apache.hadoop.fs.Path(path));
  }

  @Override
  public void close() {
    cluster.shutdown();
  }
}
