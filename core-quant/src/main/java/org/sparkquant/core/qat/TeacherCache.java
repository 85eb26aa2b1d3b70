package org.sparkquant.core.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The FP32 teacher's outputs per training sample, computed once rather than at every epoch. Each sample's output is
 * computed in its canonical group (a fixed group of samples given by the caller, e.g. consecutive runs of the
 * training samples), never in the batch that happens to need it, so its bits do not depend on the epoch's order, on
 * which worker computes it or on whether it was cached: a run with the cache on one machine, on a cluster or resumed
 * uses the same targets. Outputs with a token axis ({@code [batch, tokens, ...]} with a token mask) keep the rows of
 * real tokens and are laid out again at the real positions of the batch that uses them (padding rows zero; the
 * losses leave them out); other outputs keep the sample's slice.
 *
 * <p>Bounded by bytes, least recently used first out; an evicted sample is computed again with the same bits.
 */
public final class TeacherCache {
  /** A sample's output: its values and, with a token axis, the number of real rows; the shape after them. */
  private record Entry(float[] values, int rows, long[] rest) {}

  private final long maxBytes;
  private long bytes;
  private final LinkedHashMap<Integer, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

  /** A cache holding at most {@code maxBytes} of outputs. */
  public TeacherCache(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /**
   * {@code batch} with the teacher's output for its samples {@code ids} (in batch order), owned by {@code m}.
   *
   * @param group the ids of the canonical group that holds a sample
   * @param encode the batch of the given ids, encoded as the model takes them (its arrays are closed by the caller)
   */
  public QatBatch withTeacher(QatModel model, NDManager m, QatBatch batch, int[] ids, IntFunction<int[]> group,
      Function<int[], QatBatch> encode) {
    Entry[] rows = new Entry[ids.length];
    for (int k = 0; k < ids.length; k++) {
      rows[k] = entries.get(ids[k]);
      if (rows[k] == null) {
        Map<Integer, Entry> computed = fill(model, group.apply(ids[k]), encode);
        rows[k] = computed.get(ids[k]);
        if (rows[k] == null) {
          throw new IllegalArgumentException("the group of sample " + ids[k] + " does not hold it");
        }
      }
    }
    return batch.withTeacher(assemble(m, batch, rows));
  }

  /** Computes the outputs of one canonical group and stores them (as far as the budget allows). */
  private Map<Integer, Entry> fill(QatModel model, int[] ids, Function<int[], QatBatch> encode) {
    Map<Integer, Entry> out = new LinkedHashMap<>();
    try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu(), org.sparkquant.core.exec.DjlExecutor.ENGINE)) {
      QatBatch b = encode.apply(ids);
      NDArray teacher = model.teacherOutput(m, b);
      long[] shape = teacher.getShape().getShape();
      float[] v = teacher.toFloatArray();
      boolean tokens = hasTokenAxis(shape, b.tokenMask());
      long[] mask = tokens ? b.tokenMask().toType(DataType.INT64, false).toLongArray() : null;
      int per = (int) (v.length / shape[0]);
      for (int k = 0; k < ids.length; k++) {
        if (!tokens) {
          out.put(ids[k], new Entry(Arrays.copyOfRange(v, k * per, (k + 1) * per), -1,
              Arrays.copyOfRange(shape, 1, shape.length)));
          continue;
        }
        int len = (int) shape[1];
        int row = per / len;
        int real = 0;
        for (int t = 0; t < len; t++) {
          real += mask[k * len + t] != 0 ? 1 : 0;
        }
        float[] kept = new float[real * row];
        int at = 0;
        for (int t = 0; t < len; t++) {
          if (mask[k * len + t] != 0) {
            System.arraycopy(v, k * per + t * row, kept, at, row);
            at += row;
          }
        }
        out.put(ids[k], new Entry(kept, real, Arrays.copyOfRange(shape, 2, shape.length)));
      }
    }
    out.forEach(this::put);
    return out;
  }

  private void put(int id, Entry e) {
    Entry old = entries.put(id, e);
    bytes += 4L * e.values().length - (old == null ? 0 : 4L * old.values().length);
    var it = entries.entrySet().iterator();
    while (bytes > maxBytes && it.hasNext()) {
      Map.Entry<Integer, Entry> eldest = it.next();
      if (eldest.getKey() == id) {
        continue;
      }
      bytes -= 4L * eldest.getValue().values().length;
      it.remove();
    }
  }

  /** The batch's teacher output from per-sample entries: real rows at the batch's real positions. */
  private static NDArray assemble(NDManager m, QatBatch batch, Entry[] rows) {
    int b = rows.length;
    long[] rest = rows[0].rest();
    if (rows[0].rows() < 0) {
      int per = rows[0].values().length;
      float[] out = new float[b * per];
      for (int k = 0; k < b; k++) {
        System.arraycopy(rows[k].values(), 0, out, k * per, per);
      }
      long[] shape = new long[rest.length + 1];
      shape[0] = b;
      System.arraycopy(rest, 0, shape, 1, rest.length);
      return m.create(out, new Shape(shape));
    }
    long[] maskShape = batch.tokenMask().getShape().getShape();
    int len = (int) maskShape[1];
    long[] mask = batch.tokenMask().toType(DataType.INT64, false).toLongArray();
    int row = (int) Arrays.stream(rest).reduce(1, (x, y) -> x * y);
    float[] out = new float[b * len * row];
    for (int k = 0; k < b; k++) {
      int at = 0;
      for (int t = 0; t < len; t++) {
        if (mask[k * len + t] != 0) {
          if (at >= rows[k].rows()) {
            throw new IllegalStateException("sample " + k + " has more real tokens than its cached teacher output");
          }
          System.arraycopy(rows[k].values(), at * row, out, (k * len + t) * row, row);
          at++;
        }
      }
    }
    long[] shape = new long[rest.length + 2];
    shape[0] = b;
    shape[1] = len;
    System.arraycopy(rest, 0, shape, 2, rest.length);
    return m.create(out, new Shape(shape));
  }

  private static boolean hasTokenAxis(long[] shape, NDArray mask) {
    if (mask == null || shape.length < 3) {
      return false;
    }
    long[] ms = mask.getShape().getShape();
    return ms.length == 2 && ms[0] == shape[0] && ms[1] == shape[1];
  }

  /** Bytes of outputs held. */
  public long bytes() {
    return bytes;
  }
}
