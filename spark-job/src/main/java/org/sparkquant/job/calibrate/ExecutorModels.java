package org.sparkquant.job.calibrate;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.sparkquant.core.quantizer.PreparedModel;

/**
 * Prepared models kept for the life of an executor JVM, so that a model is loaded and prepared once per JVM rather
 * than once per task. Tasks running at the same time each get a model of their own (prepared models hold state);
 * a model is returned to the pool when its lease closes and reused by the next task. Only one model key is kept:
 * a new key (another job's model or config) closes the models of the old one.
 */
final class ExecutorModels {
  private static String key;
  private static final Deque<PreparedModel> idle = new ArrayDeque<>();
  private static final Map<PreparedModel, String> leased = new HashMap<>();

  private ExecutorModels() {}

  /** A model in use by one task; closing the lease returns the model. */
  static final class Lease implements AutoCloseable {
    private final PreparedModel model;

    private Lease(PreparedModel model) {
      this.model = model;
    }

    PreparedModel model() {
      return model;
    }

    @Override
    public void close() {
      release(model);
    }
  }

  /** Leases a model for {@code modelKey}, preparing one with {@code prepare} when none is idle. */
  static Lease lease(String modelKey, Supplier<PreparedModel> prepare) {
    synchronized (ExecutorModels.class) {
      if (!modelKey.equals(key)) {
        idle.forEach(PreparedModel::close);
        idle.clear();
        key = modelKey;
      }
      PreparedModel m = idle.poll();
      if (m != null) {
        leased.put(m, modelKey);
        return new Lease(m);
      }
    }
    PreparedModel m = prepare.get();
    synchronized (ExecutorModels.class) {
      leased.put(m, modelKey);
    }
    return new Lease(m);
  }

  private static synchronized void release(PreparedModel m) {
    String k = leased.remove(m);
    if (k != null && k.equals(key)) {
      idle.push(m);
    } else {
      m.close();
    }
  }
}
