package org.sparkquant.job.spark;

import com.esotericsoftware.kryo.Kryo;
import java.util.List;
import org.apache.spark.serializer.KryoRegistrator;

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
          java.util.LinkedHashMap.class);

  /** Registers {@link #CLASSES}; subclasses (tests) may register more after calling this. */
  @Override
  public void registerClasses(Kryo kryo) {
    for (Class<?> c : CLASSES) {
      kryo.register(c);
    }
  }
}
