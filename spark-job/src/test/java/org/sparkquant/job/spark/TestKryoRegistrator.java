package org.sparkquant.job.spark;

import com.esotericsoftware.kryo.Kryo;

/** SparkQuant's registrations plus the classes that test jobs send back. */
public class TestKryoRegistrator extends SparkQuantKryoRegistrator {
  @Override
  public void registerClasses(Kryo kryo) {
    super.registerClasses(kryo);
    kryo.register(ExecutorReport.class);
  }
}
