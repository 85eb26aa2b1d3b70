package org.sparkquant.core.exec;

/**
 * A family of operator kernels that fills an {@link OpRegistry}. {@link OpRegistry#standard()} finds the built-in
 * families with {@link java.util.ServiceLoader}, listed in {@code META-INF/services/} under this interface's name, so
 * the registry does not depend on the kernels' package; adding a family is adding one class and one line there.
 * Implementations need a public no-argument constructor.
 */
public interface OpLibrary {
  /** Registers this family's kernels with {@code registry}. */
  void register(OpRegistry registry);
}
