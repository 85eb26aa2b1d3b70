/**
 * ONNX operator kernels, grouped by family. Each family is an {@link org.sparkquant.core.exec.OpLibrary} listed in
 * {@code META-INF/services}, which registers one small kernel per operator with the
 * {@link org.sparkquant.core.exec.OpRegistry}; semantics follow the ONNX operator specification, including the
 * differences between operator set versions noted in each kernel.
 */
package org.sparkquant.core.exec.ops;
