/**
 * Reading and writing ONNX models: protobuf ({@code onnx.proto} compiled at build time) to and from the
 * {@link org.sparkquant.core.graph.Graph} IR, including external tensor data confined to the model's directory.
 */
package org.sparkquant.io.onnx;
