package org.sparkquant.core.qat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;
import org.sparkquant.core.exec.Scalars;
import org.sparkquant.core.graph.ValueInfo;

/**
 * What training minimises, per sample, on the model's first output, and what validation measures.
 *
 * <ul>
 *   <li>{@link #COSINE}: {@code 1 − cos} between student and FP32 teacher outputs along the last axis, averaged over
 *       the real tokens of a {@code [batch, tokens, features]} output (embedding models); validated by the cosine of
 *       mean-pooled embeddings.
 *   <li>{@link #MSE}: mean squared difference to the teacher over real tokens and features; validated like cosine.
 *   <li>{@link #KL}: {@code KL(softmax(teacher) ‖ softmax(student))} over the last axis (classifiers); validated by
 *       top-1 agreement with the teacher.
 *   <li>{@link #CE}: cross-entropy of the student's logits with integer labels; validated by accuracy.
 * </ul>
 */
public enum QatLoss {
  COSINE,
  MSE,
  KL,
  CE;

  /** Guards the norms of all-zero vectors. */
  private static final float EPS = 1e-12f;

  /**
   * The loss named {@code name}: {@code distill} picks {@link #forDistillation distillation by output shape};
   * {@code distill-cosine}, {@code distill-mse}, {@code distill-kl} and {@code ce} name one.
   */
  public static QatLoss parse(String name, ValueInfo output) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "distill" -> forDistillation(output);
      case "distill-cosine" -> COSINE;
      case "distill-mse" -> MSE;
      case "distill-kl" -> KL;
      case "ce" -> CE;
      default -> throw new IllegalArgumentException(
          "unknown loss '" + name + "'; expected distill, distill-cosine, distill-mse, distill-kl or ce");
    };
  }

  /** Distillation for an output: KL for {@code [batch, classes]} logits, cosine for embeddings of higher rank. */
  public static QatLoss forDistillation(ValueInfo output) {
    return output.dims() != null && output.dims().size() == 2 ? KL : COSINE;
  }

  /** Whether the loss needs labels rather than the FP32 teacher. */
  public boolean needsLabels() {
    return this == CE;
  }

  /** The validation metric's name for reports. */
  public String metricName() {
    return switch (this) {
      case COSINE, MSE -> "embedding_cosine";
      case KL -> "top1_agreement";
      case CE -> "accuracy";
    };
  }

  /**
   * The sum over the batch of the per-sample losses, a scalar with gradients to the student.
   *
   * @param student the student's output ({@code [batch, ...]})
   * @param teacher the FP32 model's output (ignored by {@link #CE}, may be null there)
   * @param tokenMask {@code [batch, tokens]} with 1 at real tokens, or null; used where the output has that shape in
   *     front
   * @param labels {@code [batch]} integer labels for {@link #CE}, else null
   */
  public NDArray sum(NDArray student, NDArray teacher, NDArray tokenMask, NDArray labels) {
    return switch (this) {
      case COSINE -> tokenMean(Scalars.add(cosine(student, teacher).neg(), 1f), tokenMask);
      case MSE -> tokenMean(student.sub(teacher).square().mean(new int[] {-1}), tokenMask);
      case KL -> {
        NDArray logP = teacher.logSoftmax(-1);
        NDArray logQ = student.logSoftmax(-1);
        yield tokenMean(logP.exp().mul(logP.sub(logQ)).sum(new int[] {-1}), tokenMask);
      }
      case CE -> {
        NDArray logQ = student.logSoftmax(-1);
        NDArray oneHot = classIndexes(labels, student).oneHot(classes(student));
        yield tokenMean(logQ.mul(oneHot.toType(DataType.FLOAT32, false)).sum(new int[] {-1}).neg(), tokenMask);
      }
    };
  }

  /**
   * The validation metric summed over the batch (its mean is the sum over all batches divided by the samples): the
   * cosine of mean-pooled outputs (cosine, MSE), top-1 agreement with the teacher (KL) or accuracy (CE).
   */
  public double metricSum(NDArray student, NDArray teacher, NDArray tokenMask, NDArray labels) {
    return switch (this) {
      case COSINE, MSE -> cosine(pooled(student, tokenMask), pooled(teacher, tokenMask)).sum().getFloat();
      case KL -> student.argMax(-1).eq(teacher.argMax(-1)).toType(DataType.FLOAT32, false).sum().getFloat();
      case CE -> student.argMax(-1).eq(classIndexes(labels, student)).toType(DataType.FLOAT32, false)
          .sum().getFloat();
    };
  }

  private static int classes(NDArray logits) {
    return (int) logits.getShape().get(logits.getShape().dimension() - 1);
  }

  /** The labels as INT64, checked to be class indexes of {@code logits}. */
  private static NDArray classIndexes(NDArray labels, NDArray logits) {
    if (labels == null) {
      throw new IllegalArgumentException("the ce loss needs labels");
    }
    NDArray indexes = labels.toType(DataType.INT64, false);
    long max = indexes.max().getLong();
    long min = indexes.min().getLong();
    if (min < 0 || max >= classes(logits)) {
      throw new IllegalArgumentException("label " + (min < 0 ? min : max) + " is not a class index of the model's "
          + classes(logits) + " outputs");
    }
    return indexes;
  }

  /** Cosine along the last axis. */
  private static NDArray cosine(NDArray a, NDArray b) {
    NDArray dot = a.mul(b).sum(new int[] {-1});
    NDArray norms = Scalars.add(a.square().sum(new int[] {-1}).mul(b.square().sum(new int[] {-1})), EPS).sqrt();
    return dot.div(norms);
  }

  /**
   * Per-sample values {@code [batch, ...]} averaged over everything but the batch axis (over real tokens only where
   * {@code tokenMask} fits), then summed over the batch.
   */
  private static NDArray tokenMean(NDArray perPosition, NDArray tokenMask) {
    if (perPosition.getShape().dimension() == 1) {
      return perPosition.sum();
    }
    if (fits(perPosition, tokenMask)) {
      NDArray mask = tokenMask.toType(DataType.FLOAT32, false);
      NDArray perSample = perPosition.mul(mask).sum(new int[] {1}).div(Scalars.maximum(mask.sum(new int[] {1}), 1f));
      return perSample.sum();
    }
    return perPosition.reshape(perPosition.getShape().get(0), -1).mean(new int[] {1}).sum();
  }

  /** Mean over the real tokens of a {@code [batch, tokens, features]} output; other outputs as they are. */
  private static NDArray pooled(NDArray out, NDArray tokenMask) {
    if (out.getShape().dimension() < 3) {
      return out;
    }
    if (fits(out, tokenMask)) {
      NDArray mask = tokenMask.toType(DataType.FLOAT32, false).expandDims(-1);
      return out.mul(mask).sum(new int[] {1}).div(Scalars.maximum(mask.sum(new int[] {1}), 1f));
    }
    return out.mean(new int[] {1});
  }

  private static boolean fits(NDArray values, NDArray tokenMask) {
    return tokenMask != null && values.getShape().dimension() >= 2
        && values.getShape().get(0) == tokenMask.getShape().get(0)
        && values.getShape().get(1) == tokenMask.getShape().get(1);
  }
}
