package org.sparkquant.io.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.security.AccessControlException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paths as users write them, on Hadoop's file systems, with one-line errors. */
class FileStoreTest {
  private final FileStore store = FileStore.defaults();

  @Test
  void plainPathsAndFileUrisReadTheSameLocalFile(@TempDir Path dir) throws Exception {
    Path spaced = Files.writeString(dir.resolve("a b.txt"), "spaced");
    assertEquals("spaced", store.readText(spaced.toString(), "config"));
    Path file = Files.writeString(dir.resolve("a.txt"), "text");
    assertEquals("text", store.readText(file.toUri().toString(), "config"));
    assertEquals(file, store.localFile(file.toUri().toString()));
    assertEquals(file, store.localFile(file.toString()));
    assertNull(store.localFile("hdfs://namenode:8020/a.txt"));
  }

  @Test
  void plainPathsFollowTheDefaultFileSystem() {
    Configuration conf = new Configuration();
    conf.set("fs.defaultFS", "hdfs://namenode:8020");
    assertNull(new FileStore(conf).localFile("/models/model.onnx"), "a plain path is on HDFS here, as in Spark");
  }

  @Test
  void missingFilesDirectoriesAndUnknownSchemesAreNamed(@TempDir Path dir) {
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> store.readFile(dir.resolve("none.onnx").toString(), "model file"));
    assertEquals("model file '" + dir.resolve("none.onnx") + "' does not exist", missing.getMessage());
    IllegalArgumentException directory = assertThrows(IllegalArgumentException.class,
        () -> store.readFile(dir.toString(), "tokenizer"));
    assertTrue(directory.getMessage().endsWith("is a directory; expected a file"), directory.getMessage());
    IllegalArgumentException scheme = assertThrows(IllegalArgumentException.class,
        () -> store.readFile("nosuch://bucket/model.onnx", "model file"));
    assertTrue(scheme.getMessage().contains("No FileSystem for scheme \"nosuch\""), scheme.getMessage());
  }

  @Test
  void reasonsAreShortAndNameTheCause() {
    assertEquals("cannot connect to 127.0.0.1:1 (connection refused)", FileStore.reason(new ConnectException(
        "Call From vm/192.0.2.2 to 127.0.0.1:1 failed on connection exception: java.net.ConnectException:"
            + " Connection refused; For more details see:  http://wiki.apache.org/hadoop/ConnectionRefused")));
    assertEquals("permission denied: Permission denied: user=alice, access=WRITE, inode=\"/locked\"",
        FileStore.reason(new AccessControlException("Permission denied: user=alice, access=WRITE,"
            + " inode=\"/locked\"\n\tat org.apache.hadoop.hdfs.Server")));
    assertEquals("disk full", FileStore.reason(new IOException("disk full\nmore")));
  }

  @Test
  void bytesAreReadWhole(@TempDir Path dir) throws Exception {
    byte[] bytes = new byte[70_000];
    new java.util.Random(1).nextBytes(bytes);
    Path file = Files.write(dir.resolve("blob"), bytes);
    assertArrayEquals(bytes, store.readFile(file.toString(), "model file"));
  }
}
