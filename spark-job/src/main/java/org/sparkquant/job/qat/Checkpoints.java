package org.sparkquant.job.qat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparkquant.core.qat.QatCodec;
import org.sparkquant.core.qat.QatState;

/**
 * Training checkpoints in a directory of any Hadoop file system: {@code step-NNNNNNNN/} holds {@code state.bin} (the
 * {@link QatState}: weights, learned scales, optimizer moments, step, activation statistics) and
 * {@code history.json} (the {@link TrainingHistory}, with the fingerprint of the run). A checkpoint is written under
 * a temporary name and renamed when complete, so a run killed while writing leaves the previous one intact; the
 * {@link #KEEP} newest are kept. The data position is the step itself (epochs are seeded permutations), and the run
 * uses no other random state.
 */
public final class Checkpoints {
  /** Checkpoints kept; older ones are deleted after a new one is complete. */
  static final int KEEP = 2;

  private static final String PREFIX = "step-";
  private static final String STATE = "state.bin";
  private static final String HISTORY = "history.json";

  private final Path dir;
  private final FileSystem fs;

  /** A checkpoint: the state and the history up to its step. */
  public record Checkpoint(QatState state, TrainingHistory history) {}

  /** Checkpoints in {@code uri} (a path or URI on any Hadoop file system). */
  public Checkpoints(String uri, Configuration hadoop) {
    this.dir = new Path(uri);
    try {
      this.fs = dir.getFileSystem(hadoop);
    } catch (IOException e) {
      throw new UncheckedIOException("checkpoint directory '" + uri + "': " + e.getMessage(), e);
    }
  }

  public String uri() {
    return fs.makeQualified(dir).toString();
  }

  /** The directory, fully qualified. */
  public Path path() {
    return fs.makeQualified(dir);
  }

  /** Whether the directory holds any complete checkpoint. */
  public boolean isEmpty() {
    return steps().isEmpty();
  }

  /** Removes the directory and everything in it. */
  public void delete() {
    try {
      fs.delete(dir, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete checkpoints '" + dir + "': " + e.getMessage(), e);
    }
  }

  /** Writes the checkpoint of {@code state} with {@code history}, then deletes all but the newest {@link #KEEP}. */
  public void save(QatState state, TrainingHistory history) {
    String name = String.format("%s%08d", PREFIX, state.step());
    Path tmp = new Path(dir, "." + name + ".tmp");
    Path target = new Path(dir, name);
    try {
      fs.delete(tmp, true);
      fs.mkdirs(tmp);
      try (OutputStream out = fs.create(new Path(tmp, STATE), true)) {
        QatCodec.write(state, out);
      }
      try (OutputStream out = fs.create(new Path(tmp, HISTORY), true)) {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out, history);
      }
      fs.delete(target, true);
      if (!fs.rename(tmp, target)) {
        throw new IOException("rename of " + tmp + " to " + target + " failed");
      }
      List<Long> steps = steps();
      for (int i = 0; i < steps.size() - KEEP; i++) {
        fs.delete(new Path(dir, String.format("%s%08d", PREFIX, steps.get(i))), true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint '" + target + "': " + e.getMessage(), e);
    }
  }

  /** The newest complete checkpoint, or null when there is none. */
  public Checkpoint latest() {
    List<Long> steps = steps();
    if (steps.isEmpty()) {
      return null;
    }
    Path d = new Path(dir, String.format("%s%08d", PREFIX, steps.get(steps.size() - 1)));
    try (InputStream state = fs.open(new Path(d, STATE));
        InputStream history = fs.open(new Path(d, HISTORY))) {
      return new Checkpoint(QatCodec.readState(state), new ObjectMapper().readValue(history, TrainingHistory.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint '" + d + "': " + e.getMessage(), e);
    }
  }

  /** Steps of the complete checkpoints, ascending. */
  private List<Long> steps() {
    List<Long> out = new ArrayList<>();
    try {
      if (!fs.exists(dir)) {
        return out;
      }
      for (FileStatus s : fs.listStatus(dir)) {
        String n = s.getPath().getName();
        if (s.isDirectory() && n.startsWith(PREFIX) && n.substring(PREFIX.length()).matches("\\d+")) {
          out.add(Long.parseLong(n.substring(PREFIX.length())));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints '" + dir + "': " + e.getMessage(), e);
    }
    out.sort(null);
    return out;
  }
}
