package org.sparkquant.job.spark;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Models kept for the life of an executor JVM, so that a model is loaded and prepared once per JVM rather than once
 * per task. Tasks running at the same time each get a model of their own (prepared models hold state); a model is
 * returned to the pool when its lease closes and reused by the next task. Only one model key is kept: a new key
 * (another job's model or config) closes the models of the old one.
 */
public final class ExecutorModels {
  private static String key;
  private static final Deque<AutoCloseable> idle = new ArrayDeque<>();
  private static final Map<AutoCloseable, String> leased = new IdentityHashMap<>();

  private ExecutorModels() {}

  /** Identifies a prepared model: the model's bytes and the config. */
  public static String key(byte[] model, String configYaml) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(model);
      d.update(configYaml.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A model in use by one task; closing the lease returns the model. */
  public static final class Lease<T extends AutoCloseable> implements AutoCloseable {
    private final T model;

    private Lease(T model) {
      this.model = model;
    }

    public T model() {
      return model;
    }

    @Override
    public void close() {
      release(model);
    }
  }

  /**
   * Leases a model for {@code modelKey}, preparing one with {@code prepare} when none is idle. A key always names
   * models of one type.
   */
  @SuppressWarnings("unchecked")
  public static <T extends AutoCloseable> Lease<T> lease(String modelKey, Supplier<T> prepare) {
    synchronized (ExecutorModels.class) {
      if (!modelKey.equals(key)) {
        idle.forEach(ExecutorModels::closeQuietly);
        idle.clear();
        key = modelKey;
      }
      AutoCloseable m = idle.poll();
      if (m != null) {
        leased.put(m, modelKey);
        return new Lease<>((T) m);
      }
    }
    T m = prepare.get();
    synchronized (ExecutorModels.class) {
      leased.put(m, modelKey);
    }
    return new Lease<>(m);
  }

  private static synchronized void release(AutoCloseable m) {
    String k = leased.remove(m);
    if (k != null && k.equals(key)) {
      idle.push(m);
    } else {
      closeQuietly(m);
    }
  }

  private static void closeQuietly(AutoCloseable m) {
    try {
      m.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing an executor model failed: " + e.getMessage(), e);
    }
  }
}
