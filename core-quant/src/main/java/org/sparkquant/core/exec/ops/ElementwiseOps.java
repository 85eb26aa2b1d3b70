package org.sparkquant.core.exec.ops;

import static org.sparkquant.core.exec.ops.KernelSupport.one;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.OpLibrary;
import org.sparkquant.core.exec.OpRegistry;
import org.sparkquant.core.exec.Scalars;

/** Elementwise arithmetic, comparison and logic with numpy broadcasting. */
public final class ElementwiseOps implements OpLibrary {
  @Override
  public void register(OpRegistry r) {
    binary(r, "Add", NDArray::add);
    binary(r, "Sub", NDArray::sub);
    binary(r, "Mul", NDArray::mul);
    r.register("Div", (ctx, in) -> one(divide(ctx, in[0], in[1])));
    binary(r, "Pow", ElementwiseOps::power);
    binary(r, "Equal", NDArray::eq);
    binary(r, "Less", NDArray::lt);
    binary(r, "LessOrEqual", NDArray::lte);
    binary(r, "Greater", NDArray::gt);
    binary(r, "GreaterOrEqual", NDArray::gte);
    binary(r, "And", NDArray::logicalAnd);
    binary(r, "Or", NDArray::logicalOr);
    binary(r, "Xor", NDArray::logicalXor);
    variadic(r, "Max", NDArrays::maximum);
    variadic(r, "Min", NDArrays::minimum);
    variadic(r, "Sum", NDArray::add);
    r.register(
        "Mean",
        (ctx, in) -> {
          NDArray acc = in[0];
          for (int i = 1; i < in.length; i++) {
            acc = acc.add(in[i]);
          }
          return one(Scalars.div(acc, in.length));
        });
    unary(r, "Not", NDArray::logicalNot);
    unary(r, "Abs", NDArray::abs);
    unary(r, "Neg", NDArray::neg);
    unary(r, "Sqrt", NDArray::sqrt);
    unary(r, "Exp", NDArray::exp);
    unary(r, "Log", NDArray::log);
    unary(r, "Reciprocal", a -> Scalars.pow(a.getDataType().isFloating() ? a : a.toType(DataType.FLOAT32, false), -1));
    unary(r, "Floor", NDArray::floor);
    unary(r, "Ceil", NDArray::ceil);
    unary(r, "Round", NDArray::round);
    unary(r, "Sign", NDArray::sign);
    unary(r, "Sin", NDArray::sin);
    unary(r, "Cos", NDArray::cos);
    unary(r, "IsNaN", NDArray::isNaN);
    unary(r, "IsInf", NDArray::isInfinite);
    r.register("Where", ElementwiseOps::where);
  }

  /**
   * Integer division truncates toward zero, as in ONNX Runtime; floats divide normally. The engine divides only in
   * floating point, which is inexact for integers beyond 2^53, so integer quotients are computed on the host.
   */
  private static NDArray divide(KernelContext ctx, NDArray a, NDArray b) {
    if (a.getDataType().isFloating()) {
      return a.div(b);
    }
    Shape shape = new Shape(KernelSupport.broadcastShape(ctx, a.getShape().getShape(), b.getShape().getShape()));
    long[] x = ctx.longs(a.broadcast(shape));
    long[] y = ctx.longs(b.broadcast(shape));
    for (int i = 0; i < x.length; i++) {
      if (y[i] == 0) {
        throw ctx.error("integer division by zero");
      }
      x[i] /= y[i];
    }
    NDArray q = ctx.engineOwned(ctx.manager().create(x, shape));
    return a.getDataType() == DataType.INT64 ? q : q.toType(a.getDataType(), false);
  }

  /** The engine's where needs the condition and the first operand in the same shape: broadcast all three first. */
  private static NDArray[] where(KernelContext ctx, NDArray[] in) {
    long[] shape = in[0].getShape().getShape();
    for (int i = 1; i < 3; i++) {
      shape = KernelSupport.broadcastShape(ctx, shape, in[i].getShape().getShape());
    }
    Shape s = new Shape(shape);
    return one(NDArrays.where(in[0].broadcast(s), in[1].broadcast(s), in[2].broadcast(s)));
  }

  /** The result has the base's type, as ONNX requires. */
  private static NDArray power(NDArray a, NDArray b) {
    NDArray y = a.pow(b.getDataType() == a.getDataType() ? b : b.toType(a.getDataType(), false));
    return y.getDataType() == a.getDataType() ? y : y.toType(a.getDataType(), false);
  }

  private static void binary(OpRegistry r, String op, BinaryOperator<NDArray> f) {
    r.register(op, (ctx, in) -> one(f.apply(in[0], in[1])));
  }

  private static void variadic(OpRegistry r, String op, BinaryOperator<NDArray> f) {
    r.register(
        op,
        (ctx, in) -> {
          NDArray acc = in[0];
          for (int i = 1; i < in.length; i++) {
            acc = f.apply(acc, in[i]);
          }
          return one(in.length == 1 ? acc.duplicate() : acc);
        });
  }

  private static void unary(OpRegistry r, String op, UnaryOperator<NDArray> f) {
    r.register(op, (ctx, in) -> one(f.apply(in[0])));
  }
}
