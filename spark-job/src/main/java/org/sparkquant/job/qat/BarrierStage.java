package org.sparkquant.job.qat;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * A stage in barrier mode from Java: all its tasks are launched together (or none), each on a slot of its own, and a
 * failed task restarts the whole stage. Spark's Java API has no {@code barrier()}; this adapts a Java function to the
 * Scala one {@code RDDBarrier.mapPartitions} takes.
 */
final class BarrierStage {
  private BarrierStage() {}

  /** What a task computes from its partition index and its partition's elements. */
  interface PartitionFunction<T, U> extends Serializable {
    Iterator<U> apply(int partition, Iterator<T> elements);
  }

  /** {@code rdd}'s partitions mapped by {@code f} in one barrier stage. */
  static <T, U> JavaRDD<U> mapPartitions(JavaRDD<T> rdd, PartitionFunction<T, U> f, Class<U> type) {
    ClassTag<U> tag = ClassTag$.MODULE$.apply(type);
    RDD<U> out = rdd.rdd().barrier().mapPartitions(new Adapter<>(f), false, tag);
    return JavaRDD.fromRDD(out, tag);
  }

  private static final class Adapter<T, U>
      extends AbstractFunction1<scala.collection.Iterator<T>, scala.collection.Iterator<U>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final PartitionFunction<T, U> f;

    Adapter(PartitionFunction<T, U> f) {
      this.f = f;
    }

    @Override
    public scala.collection.Iterator<U> apply(scala.collection.Iterator<T> in) {
      return CollectionConverters.asScala(f.apply(TaskContext.getPartitionId(), CollectionConverters.asJava(in)));
    }
  }
}
