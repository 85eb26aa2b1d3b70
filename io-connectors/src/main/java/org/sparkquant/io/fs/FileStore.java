package org.sparkquant.io.fs;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Files on any Hadoop file system, named as users write them: plain local paths, {@code file:}, {@code hdfs:},
 * {@code s3a:} and whatever else the Hadoop configuration knows. Local files go through Hadoop's raw local file system
 * (no {@code .crc} side files). Every failure is an {@link IllegalArgumentException} of one line that names what was
 * being read, where, and why ({@link #reason}).
 */
public final class FileStore {
  private final Configuration conf;

  /** Files reached through {@code conf} (file system implementations, credentials, endpoints). */
  public FileStore(Configuration conf) {
    this.conf = conf;
  }

  /** Files reached with Hadoop's default configuration (local disk, and the site files on the class path). */
  public static FileStore defaults() {
    return new FileStore(new Configuration());
  }

  public Configuration configuration() {
    return conf;
  }

  /**
   * {@code location} as a fully qualified Hadoop path. As in Hadoop and Spark, a path without a scheme is on the
   * default file system ({@code fs.defaultFS}: local disk unless the cluster's configuration says otherwise);
   * relative local paths start at the working directory.
   */
  public Path path(String location) {
    if (location == null || location.isBlank()) {
      throw new IllegalArgumentException("empty path");
    }
    Path p;
    try {
      p = new Path(location);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + location + "' is not a valid path or URI: " + e.getMessage());
    }
    return fileSystem(p).makeQualified(p);
  }

  /** The file system of {@code path}; the raw local one for local paths. */
  public FileSystem fileSystem(Path path) {
    try {
      if (isLocal(path)) {
        return FileSystem.getLocal(conf).getRawFileSystem();
      }
      return path.getFileSystem(conf);
    } catch (IOException e) {
      String reason = reason(e);
      throw new IllegalArgumentException("cannot use the file system of '" + path + "': " + reason
          + (reason.startsWith("No FileSystem for scheme \"s3a\"")
              ? " (s3a:// needs hadoop-aws and the AWS SDK on the class path; see the README)" : ""));
    }
  }

  /** The local file {@code location} names, or null when it is on another file system. */
  public java.nio.file.Path localFile(String location) {
    Path p = new Path(location);
    if (!isLocal(p)) {
      return null;
    }
    URI uri = p.toUri();
    return uri.getScheme() == null ? java.nio.file.Path.of(uri.getPath()) : java.nio.file.Path.of(uri);
  }

  /** The status of {@code path}, or null when nothing is there; {@code what} names it in errors. */
  public FileStatus statusOrNull(Path path, String what) {
    try {
      return fileSystem(path).getFileStatus(path);
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " '" + path + "' cannot be read: " + reason(e));
    }
  }

  /** Whether a file or directory is at {@code path}. */
  public boolean exists(Path path, String what) {
    return statusOrNull(path, what) != null;
  }

  /**
   * The bytes of the file at {@code location}; {@code what} ("model file", "tokenizer", ...) names it in errors.
   *
   * @throws IllegalArgumentException one line: missing, a directory, too large, unreachable or unreadable
   */
  public byte[] readFile(String location, String what) {
    String where = what + " '" + location + "'";
    Path path = path(location);
    FileStatus status = statusOrNull(path, what);
    if (status == null) {
      throw new IllegalArgumentException(where + " does not exist");
    }
    if (status.isDirectory()) {
      throw new IllegalArgumentException(where + " is a directory; expected a file");
    }
    if (status.getLen() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(where + " is " + status.getLen() + " bytes; files over 2 GiB must keep"
          + " their tensors in external data files");
    }
    byte[] bytes = new byte[(int) status.getLen()];
    try (FSDataInputStream in = fileSystem(path).open(path)) {
      in.readFully(0, bytes);
      return bytes;
    } catch (IOException e) {
      throw new IllegalArgumentException(where + " cannot be read: " + reason(e));
    }
  }

  /** The UTF-8 text of the file at {@code location}. */
  public String readText(String location, String what) {
    return new String(readFile(location, what), StandardCharsets.UTF_8);
  }

  /** Opens {@code path} for reading. */
  public InputStream open(Path path, String what) {
    try {
      return fileSystem(path).open(path);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " '" + path + "' cannot be read: " + reason(e));
    }
  }

  /**
   * Why an I/O operation failed, in a few words without stack or links: connection refused, unknown host, permission
   * denied, missing bucket, or the first line of the message.
   */
  public static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String type = t.getClass().getSimpleName();
      if (t instanceof ConnectException) {
        return "cannot connect" + hostOf(e) + " (connection refused)";
      }
      if (t instanceof UnknownHostException) {
        return "unknown host " + firstLine(t.getMessage());
      }
      if (type.equals("AccessControlException") || t instanceof java.nio.file.AccessDeniedException) {
        return "permission denied: " + trimHadoopDetail(firstLine(t.getMessage()));
      }
      if (type.equals("UnknownStoreException") || type.equals("NoSuchBucketException")) {
        return "the bucket does not exist (" + trimHadoopDetail(firstLine(t.getMessage())) + ")";
      }
    }
    return trimHadoopDetail(firstLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
  }

  private static String hostOf(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int to = m.indexOf(" to ");
    int failed = m.indexOf(" failed on");
    return to >= 0 && failed > to ? " to " + m.substring(to + 4, failed) : "";
  }

  private static String trimHadoopDetail(String s) {
    int link = s.indexOf("; For more details see");
    return link >= 0 ? s.substring(0, link) : s;
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("").trim();
  }

  /** Whether {@code p} is on local disk: a {@code file:} URI, or a plain path while the default is local. */
  private boolean isLocal(Path p) {
    String scheme = p.toUri().getScheme();
    return "file".equals(scheme != null ? scheme : FileSystem.getDefaultUri(conf).getScheme());
  }
}
