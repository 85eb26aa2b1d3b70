package org.sparkquant.job.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.List;
import org.apache.spark.serializer.KryoRegistrator;
import org.sparkquant.job.samples.SampleKey;

/**
 * Registers with Kryo every SparkQuant class that travels between driver and executors (task results, broadcast
 * values, shuffled records). Jobs run with {@code spark.kryo.registrationRequired=true}, so a class that is missing
 * here fails the job with "Class is not registered" instead of silently writing full class names into every
 * record.
 *
 * <p>Kryo numbers registered classes in registration order, and driver and executors must agree on the numbers: add
 * a class by appending it to {@link #CLASSES}, never by registering it somewhere else. Spark itself registers its
 * own classes, Scala tuples and options, and arrays of primitives.
 */
public class SparkQuantKryoRegistrator implements KryoRegistrator {

  /** Three longs; the record's canonical constructor on read. */
  private static final class SampleKeySerializer extends Serializer<SampleKey> {
    @Override
    public void write(Kryo kryo, Output out, SampleKey k) {
      out.writeLong(k.hash());
      out.writeInt(k.file());
      out.writeLong(k.index());
    }

    @Override
    public SampleKey read(Kryo kryo, Input in, Class<SampleKey> type) {
      return new SampleKey(in.readLong(), in.readInt(), in.readLong());
    }
  }

  /** The classes registered, in order. Append new ones at the end. */
  public static final List<Class<?>> CLASSES =
      List.of(
          // Generic containers that job results are built from.
          Object[].class,
          String[].class,
          float[][].class,
          double[][].class,
          long[][].class,
          int[][].class,
          java.util.ArrayList.class,
          java.util.HashMap.class,
          java.util.LinkedHashMap.class,
          // Calibration: sample keys, partition statistics.
          SampleKey[].class,
          org.sparkquant.core.quantizer.ActivationStatistics.class,
          org.sparkquant.core.observer.MinMaxObserver.Stats.class,
          org.sparkquant.core.observer.MovingAverageMinMaxObserver.Stats.class,
          org.sparkquant.core.observer.HistogramObserver.Stats.class,
          // GPTQ: Hessian tiles.
          org.sparkquant.core.gptq.HessianTile.class,
          // Quantization-aware training: samples broadcast once per run (parameters and gradients travel as bytes).
          byte[][].class);

  /** Registers {@link #CLASSES}; subclasses (tests) may register more after calling this. */
  @Override
  public void registerClasses(Kryo kryo) {
    for (Class<?> c : CLASSES) {
      kryo.register(c);
    }
    // Records have no field offsets for Kryo 4's FieldSerializer: they get serializers of their own.
    kryo.register(SampleKey.class, new SampleKeySerializer());
  }
}
