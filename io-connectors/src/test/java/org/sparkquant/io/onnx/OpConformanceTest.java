package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.KernelContext;
import org.sparkquant.core.exec.check.KernelSelfCheck;
import org.sparkquant.core.exec.check.Operand;
import org.sparkquant.core.exec.check.ReferenceKernel;
import org.sparkquant.core.exec.check.ReferenceKernels;
import org.sparkquant.core.exec.check.Sampled;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;

/**
 * One small graph per operator kernel, built in code, written with {@link OnnxModelWriter}, run in ONNX Runtime and
 * in the executor: outputs must have the same type and shape, integers and booleans exactly equal, floats within the
 * tolerance of the operator that produced them, relative to the output's magnitude ({@code max(1, max|expected|)}):
 * {@value #EXACT} for data movement, {@value #ARITHMETIC} for elementwise arithmetic, {@value #DEFAULT_TOLERANCE}
 * for everything else (sums, products, convolutions, pooling, normalizations, transcendental functions, resizing).
 * Where a model is made of heavy kernels on its inputs and weights, their plain-Java references
 * ({@link ReferenceKernels}, which the engine self-check trusts) must match ONNX Runtime too, at every position (or
 * {@value #REFERENCE_POSITIONS} evenly spaced ones).
 */
class OpConformanceTest {
  private static final double DEFAULT_TOLERANCE = 1e-5;

  private static final double ARITHMETIC = 1e-6;

  private static final double EXACT = 0;

  /** Positions at which a heavy kernel's reference is compared (every one up to this many, else evenly spaced). */
  private static final int REFERENCE_POSITIONS = 20_000;

  private static final Map<String, Double> TOLERANCES = Map.ofEntries(
      Map.entry("Add", ARITHMETIC), Map.entry("Sub", ARITHMETIC), Map.entry("Mul", ARITHMETIC),
      Map.entry("Div", ARITHMETIC), Map.entry("Max", ARITHMETIC), Map.entry("Min", ARITHMETIC),
      Map.entry("Relu", EXACT), Map.entry("Clip", EXACT), Map.entry("Where", EXACT), Map.entry("Reshape", EXACT),
      Map.entry("Transpose", EXACT), Map.entry("Flatten", EXACT), Map.entry("Squeeze", EXACT),
      Map.entry("Unsqueeze", EXACT), Map.entry("Concat", EXACT), Map.entry("Split", EXACT), Map.entry("Slice", EXACT),
      Map.entry("Gather", EXACT), Map.entry("Expand", EXACT), Map.entry("Tile", EXACT), Map.entry("Pad", EXACT),
      Map.entry("MaxPool", EXACT), Map.entry("ReduceMax", EXACT), Map.entry("Cast", EXACT));

  @TempDir Path dir;

  private final Random random = new Random(20250117);

  // ---------------------------------------------------------------- elementwise arithmetic

  @Test
  void addSubMulDivWithBroadcastingMatchOnnxRuntime() throws Exception {
    model(17)
        .floats("a", 2, 3, 4)
        .floats("b", 3, 1)
        .floats("c", 4)
        .floatsIn("d", 0.5f, 2f, 1, 4)
        .node("Add", "a,b", "sum")
        .node("Sub", "sum,c", "diff")
        .node("Mul", "diff,b", "prod")
        .node("Div", "prod,d", "quot")
        .assertMatchesOnnxRuntime("sum", "diff", "prod", "quot");
  }

  @Test
  void int64ArithmeticWithTruncatingDivMatchesOnnxRuntime() throws Exception {
    long[] divisors = new long[4];
    for (int i = 0; i < divisors.length; i++) {
      divisors[i] = (1 + random.nextInt(7)) * (random.nextBoolean() ? 1 : -1);
    }
    model(17)
        .longsIn("a", -50, 50, 3, 4)
        .longs("b", divisors, 4)
        .node("Add", "a,b", "sum")
        .node("Sub", "a,b", "diff")
        .node("Mul", "a,b", "prod")
        .node("Div", "a,b", "quot")
        .node("Max", "a,b", "max")
        .assertMatchesOnnxRuntime("sum", "diff", "prod", "quot", "max");
  }

  @Test
  void int32DivTruncatesTowardZeroMatchesOnnxRuntime() throws Exception {
    model(17)
        .longsIn("a", -50, 50, 3, 4)
        .longs("b", new long[] {3, -4, 7, -1}, 4)
        .node("Cast", "a", "a32", Attribute.of("to", DataType.INT32.onnxCode()))
        .node("Cast", "b", "b32", Attribute.of("to", DataType.INT32.onnxCode()))
        .node("Div", "a32,b32", "quot")
        .assertMatchesOnnxRuntime("quot");
  }

  @Test
  void int64DivBeyondDoublePrecisionMatchesOnnxRuntime() throws Exception {
    long big = (1L << 53) + 1;
    model(17)
        .longs("a", new long[] {big, -big, Long.MAX_VALUE, 3 * big + 2}, 4)
        .longs("b", new long[] {1, 1, 3, -3}, 4)
        .node("Div", "a,b", "quot")
        .assertMatchesOnnxRuntime("quot");
  }

  @Test
  void powWithFloatAndInt64ExponentsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floatsIn("x", 0.1f, 2f, 2, 3)
        .floats("e", 2, 3)
        .floats("n", 2, 3)
        .constant("three", Tensor.ofLongs(new long[0], 3))
        .constant("half", Tensor.ofFloats(new long[0], 0.5f))
        .node("Pow", "x,e", "p")
        .node("Pow", "n,three", "cube")
        .node("Pow", "x,half", "root")
        .assertMatchesOnnxRuntime("p", "cube", "root");
  }

  @Test
  void sqrtMatchesOnnxRuntime() throws Exception {
    model(17).floatsIn("x", 0f, 9f, 3, 5).node("Sqrt", "x", "y").assertMatchesOnnxRuntime("y");
  }

  @Test
  void expMatchesOnnxRuntime() throws Exception {
    model(17).floatsIn("x", -5f, 3f, 3, 5).node("Exp", "x", "y").assertMatchesOnnxRuntime("y");
  }

  @Test
  void erfMatchesOnnxRuntime() throws Exception {
    model(17).floatsIn("x", -3f, 3f, 4, 5).node("Erf", "x", "y").assertMatchesOnnxRuntime("y");
  }

  @Test
  void equalFeedingWhereMatchesOnnxRuntime() throws Exception {
    model(17)
        .longsIn("i", 0, 2, 3, 4)
        .longsIn("j", 0, 2, 4)
        .floats("x", 3, 4)
        .floats("y", 1, 4)
        .node("Equal", "i,j", "eq")
        .node("Where", "eq,x,y", "picked")
        .assertMatchesOnnxRuntime("eq", "picked");
  }

  @Test
  void whereWithBroadcastConditionAndScalarBranchMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 3, 4)
        .floats("y", 4)
        .constant("zero", Tensor.ofFloats(new long[0], 0f))
        .node("Greater", "y,zero", "cond")
        .node("Where", "cond,x,zero", "masked")
        .node("Where", "cond,zero,x", "inverse")
        .assertMatchesOnnxRuntime("masked", "inverse");
  }

  @Test
  void variadicMaxAndMinWithBroadcastingMatchOnnxRuntime() throws Exception {
    model(17)
        .floats("a", 2, 3)
        .floats("b", 3)
        .floats("c", 2, 1)
        .node("Max", "a,b,c", "hi")
        .node("Min", "a,b", "lo")
        .node("Max", "a", "same")
        .assertMatchesOnnxRuntime("hi", "lo", "same");
  }

  // ---------------------------------------------------------------- matrix products

  @Test
  void batchedMatMul3dBy2dMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("a", 2, 3, 4)
        .weights("w", 4, 5)
        .floats("b", 4, 5)
        .node("MatMul", "a,w", "y")
        .node("MatMul", "a,b", "z")
        .assertMatchesOnnxRuntime("y", "z");
  }

  @Test
  void gemmWithTransposesAlphaBetaAndBiasMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("a", 3, 4)
        .floats("at", 4, 3)
        .weights("b", 5, 4)
        .weights("bt", 4, 5)
        .weights("c", 3, 5)
        .weights("bias", 5)
        .constant("s", Tensor.ofFloats(new long[0], 0.3f))
        .node("Gemm", "a,b,c", "scaled", Attribute.of("transB", 1), Attribute.of("alpha", 0.5f),
            Attribute.of("beta", 2f))
        .node("Gemm", "at,b,bias", "linear", Attribute.of("transA", 1), Attribute.of("transB", 1))
        .node("Gemm", "a,bt,s", "scalarBias", Attribute.of("beta", 1.5f))
        .node("Gemm", "a,b", "noBias", Attribute.of("transB", 1))
        .assertMatchesOnnxRuntime("scaled", "linear", "scalarBias", "noBias");
  }

  // ---------------------------------------------------------------- convolutions

  /**
   * The configurations that libtorch's oneDNN computes wrongly on AVX-512 CPUs (more input channels than one 16-wide
   * block, the last block partial) at the sizes where it uses them, beside full-block and small counts.
   */
  @Test
  void convWithPartialChannelBlocksAtModelSizesMatchesOnnxRuntime() throws Exception {
    for (long channels : new long[] {3, 12, 24, 32, 40}) {
      for (long size : new long[] {40, 80, 160}) {
        model(17)
            .floats("x", 1, channels, size, size)
            .weights("w", 24, channels, 3, 3)
            .weights("b", 24)
            .node("Conv", "x,w,b", "y", ints("pads", 1, 1, 1, 1))
            .assertMatchesOnnxRuntime("y");
      }
    }
  }

  @Test
  void depthwiseConvAndDetectorUpsamplingAtModelSizesMatchOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 40, 80, 80)
        .weights("dw", 40, 1, 3, 3)
        .weights("up", 40, 24, 2, 2)
        .weights("b", 24)
        .node("Conv", "x,dw", "depthwise", Attribute.of("group", 40), ints("pads", 1, 1, 1, 1), ints("strides", 2, 2))
        .node("ConvTranspose", "x,up,b", "upsampled", ints("strides", 2, 2))
        .assertMatchesOnnxRuntime("depthwise", "upsampled");
  }

  @Test
  void convWithGroupsStridesAndDilationsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 4, 9, 10)
        .weights("w", 6, 2, 3, 3)
        .weights("b", 6)
        .node("Conv", "x,w,b", "y", Attribute.of("group", 2), ints("strides", 2, 1),
            ints("dilations", 1, 2), ints("pads", 1, 2, 1, 2))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void convWithAsymmetricPadsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 3, 7, 8)
        .weights("w", 4, 3, 3, 2)
        .node("Conv", "x,w", "y", ints("pads", 0, 1, 2, 0), ints("strides", 2, 2))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void convWithAutoPadSameUpperMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 7, 8)
        .weights("w", 3, 2, 4, 3)
        .weights("b", 3)
        .node("Conv", "x,w,b", "y", Attribute.of("auto_pad", "SAME_UPPER"), ints("strides", 2, 3))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void convWithAutoPadSameLowerAndValidMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 7, 8)
        .weights("w", 3, 2, 4, 3)
        .node("Conv", "x,w", "lower", Attribute.of("auto_pad", "SAME_LOWER"), ints("strides", 2, 3))
        .node("Conv", "x,w", "valid", Attribute.of("auto_pad", "VALID"), ints("strides", 2, 1))
        .node("Conv", "x,w", "upperStride1", Attribute.of("auto_pad", "SAME_UPPER"))
        .assertMatchesOnnxRuntime("lower", "valid", "upperStride1");
  }

  @Test
  void conv1dMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 11)
        .weights("w", 4, 3, 3)
        .node("Conv", "x,w", "y", ints("pads", 2, 1), ints("dilations", 2))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void convTransposeWithStridePadsOutputPaddingAndGroupsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 4, 5, 4)
        .weights("w", 4, 3, 3, 3)
        .weights("b", 6)
        .node("ConvTranspose", "x,w,b", "y", Attribute.of("group", 2), ints("strides", 2, 2),
            ints("pads", 1, 0, 1, 1), ints("output_padding", 1, 1))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void convTransposeWithDilationsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4, 5)
        .weights("w", 3, 2, 2, 3)
        .node("ConvTranspose", "x,w", "y", ints("dilations", 2, 1), ints("strides", 1, 2))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void convTransposeWithAutoPadSameUpperAndLowerMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 4, 5)
        .weights("w", 2, 3, 3, 4)
        .node("ConvTranspose", "x,w", "upper", Attribute.of("auto_pad", "SAME_UPPER"), ints("strides", 2, 2))
        .node("ConvTranspose", "x,w", "lower", Attribute.of("auto_pad", "SAME_LOWER"), ints("strides", 2, 2))
        .assertMatchesOnnxRuntime("upper", "lower");
  }

  @Test
  void convTransposeWithOutputShapeMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 4, 4)
        .weights("w", 2, 3, 3, 3)
        .node("ConvTranspose", "x,w", "y", ints("strides", 2, 2), ints("output_shape", 8, 9))
        .assertMatchesOnnxRuntime("y");
  }

  // ---------------------------------------------------------------- pooling

  @Test
  void maxPoolWithPadsAndCeilModeMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 8, 7)
        .node("MaxPool", "x", "ceil", ints("kernel_shape", 3, 3), ints("strides", 2, 2),
            ints("pads", 1, 1, 1, 1), Attribute.of("ceil_mode", 1))
        .node("MaxPool", "x", "floor", ints("kernel_shape", 2, 3), ints("strides", 2, 1),
            ints("pads", 1, 1, 1, 1))
        .assertMatchesOnnxRuntime("ceil", "floor");
  }

  @Test
  void maxPoolWithAsymmetricPadsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 6, 7)
        .node("MaxPool", "x", "y", ints("kernel_shape", 3, 2), ints("strides", 2, 2),
            ints("pads", 0, 1, 1, 0))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void averagePoolCountingOrExcludingPadsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 7, 6)
        .node("AveragePool", "x", "included", ints("kernel_shape", 3, 3), ints("strides", 2, 2),
            ints("pads", 1, 1, 1, 1), Attribute.of("count_include_pad", 1))
        .node("AveragePool", "x", "excluded", ints("kernel_shape", 3, 3), ints("strides", 2, 2),
            ints("pads", 1, 1, 1, 1))
        .node("AveragePool", "x", "unpadded", ints("kernel_shape", 2, 2), ints("strides", 2, 2))
        .assertMatchesOnnxRuntime("included", "excluded", "unpadded");
  }

  @Test
  void averagePoolWithCeilModeMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 8, 7)
        .node("AveragePool", "x", "excluded", ints("kernel_shape", 3, 3), ints("strides", 2, 2),
            ints("pads", 1, 1, 1, 1), Attribute.of("ceil_mode", 1))
        .node("AveragePool", "x", "included", ints("kernel_shape", 3, 3), ints("strides", 2, 2),
            ints("pads", 1, 1, 1, 1), Attribute.of("ceil_mode", 1), Attribute.of("count_include_pad", 1))
        .node("AveragePool", "x", "unpadded", ints("kernel_shape", 2, 2), ints("strides", 2, 2),
            Attribute.of("ceil_mode", 1))
        .assertMatchesOnnxRuntime("excluded", "included", "unpadded");
  }

  @Test
  void averagePoolWithAsymmetricPadsCountingPadsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 6, 7)
        .node("AveragePool", "x", "y", ints("kernel_shape", 3, 2), ints("strides", 2, 2),
            ints("pads", 0, 1, 1, 0), Attribute.of("count_include_pad", 1))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void averagePoolWithAsymmetricPadsExcludingPadsMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 6, 7)
        .node("AveragePool", "x", "y", ints("kernel_shape", 3, 2), ints("strides", 2, 2),
            ints("pads", 0, 1, 1, 0))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void poolingWithAutoPadMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 1, 2, 7, 8)
        .node("MaxPool", "x", "maxUpper", Attribute.of("auto_pad", "SAME_UPPER"), ints("kernel_shape", 2, 3),
            ints("strides", 2, 2))
        .node("AveragePool", "x", "avgLower", Attribute.of("auto_pad", "SAME_LOWER"), ints("kernel_shape", 2, 3),
            ints("strides", 2, 2))
        .node("AveragePool", "x", "avgUpperCounted", Attribute.of("auto_pad", "SAME_UPPER"),
            ints("kernel_shape", 2, 3), ints("strides", 2, 2), Attribute.of("count_include_pad", 1))
        .assertMatchesOnnxRuntime("maxUpper", "avgLower", "avgUpperCounted");
  }

  @Test
  void globalAveragePoolMatchesOnnxRuntime() throws Exception {
    model(17).floats("x", 2, 3, 5, 4).node("GlobalAveragePool", "x", "y").assertMatchesOnnxRuntime("y");
  }

  // ---------------------------------------------------------------- normalization

  @Test
  void batchNormalizationMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4, 5)
        .weights("scale", 3)
        .weights("bias", 3)
        .weights("mean", 3)
        .constant("var", Tensor.ofFloats(new long[] {3}, 0.5f, 1.7f, 0.02f))
        .node("BatchNormalization", "x,scale,bias,mean,var", "y", Attribute.of("epsilon", 1e-3f))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void layerNormalizationOverLastAxisAndTrailingAxesMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4)
        .weights("scale", 4)
        .weights("bias", 4)
        .weights("scale2", 3, 4)
        .weights("bias2", 3, 4)
        .node("LayerNormalization", "x,scale,bias", "last", Attribute.of("epsilon", 1e-4f))
        .node("LayerNormalization", "x,scale2,bias2", "trailing", Attribute.of("axis", 1))
        .node("LayerNormalization", "x,scale", "noBias", Attribute.of("axis", -1))
        .assertMatchesOnnxRuntime("last", "trailing", "noBias");
  }

  // ---------------------------------------------------------------- activations

  @Test
  void reluMatchesOnnxRuntime() throws Exception {
    model(17).floats("x", 3, 5).node("Relu", "x", "y").assertMatchesOnnxRuntime("y");
  }

  @Test
  void clipWithMinAndMaxInputsMatchesOnnxRuntime() throws Exception {
    model(13)
        .floatsIn("x", -3f, 3f, 4, 5)
        .constant("lo", Tensor.ofFloats(new long[0], -0.5f))
        .constant("hi", Tensor.ofFloats(new long[0], 1.25f))
        .node("Clip", "x,lo,hi", "both")
        .node("Clip", "x,lo", "minOnly")
        .node("Clip", "x,,hi", "maxOnly")
        .node("Clip", "x", "none")
        .assertMatchesOnnxRuntime("both", "minOnly", "maxOnly", "none");
  }

  @Test
  void clipOnInt64KeepsItsTypeMatchesOnnxRuntime() throws Exception {
    model(13)
        .longsIn("n", -5, 5, 3, 4)
        .constant("lo", Tensor.ofLongs(new long[0], -2))
        .constant("hi", Tensor.ofLongs(new long[0], 3))
        .node("Clip", "n,lo,hi", "both")
        .node("Clip", "n,,hi", "maxOnly")
        .node("Clip", "n", "none")
        .assertMatchesOnnxRuntime("both", "maxOnly", "none");
  }

  @Test
  void clipWithAttributeBoundsBeforeOpset11MatchesOnnxRuntime() throws Exception {
    model(10)
        .floatsIn("x", -3f, 3f, 4, 5)
        .node("Clip", "x", "y", Attribute.of("min", -1f), Attribute.of("max", 0.5f))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void sigmoidMatchesOnnxRuntime() throws Exception {
    model(17).floatsIn("x", -6f, 6f, 3, 5).node("Sigmoid", "x", "y").assertMatchesOnnxRuntime("y");
  }

  @Test
  void hardSigmoidWithAlphaAndBetaMatchesOnnxRuntime() throws Exception {
    model(17)
        .floatsIn("x", -5f, 5f, 4, 5)
        .node("HardSigmoid", "x", "custom", Attribute.of("alpha", 0.3f), Attribute.of("beta", 0.4f))
        .node("HardSigmoid", "x", "defaults")
        .assertMatchesOnnxRuntime("custom", "defaults");
  }

  @Test
  void hardSwishMatchesOnnxRuntime() throws Exception {
    model(17).floatsIn("x", -5f, 5f, 4, 5).node("HardSwish", "x", "y").assertMatchesOnnxRuntime("y");
  }

  @Test
  void tanhMatchesOnnxRuntime() throws Exception {
    model(17).floatsIn("x", -4f, 4f, 3, 5).node("Tanh", "x", "y").assertMatchesOnnxRuntime("y");
  }

  @Test
  void geluExactAndTanhApproximationAtOpset20MatchOnnxRuntime() throws Exception {
    model(20)
        .floatsIn("x", -4f, 4f, 3, 5)
        .node("Gelu", "x", "exact")
        .node("Gelu", "x", "approx", Attribute.of("approximate", "tanh"))
        .assertMatchesOnnxRuntime("exact", "approx");
  }

  @Test
  void softmaxAtOpset11FlattensFromAxisMatchesOnnxRuntime() throws Exception {
    model(11)
        .floatsIn("x", -3f, 3f, 2, 3, 4)
        .node("Softmax", "x", "axis1", Attribute.of("axis", 1))
        .node("Softmax", "x", "last", Attribute.of("axis", -1))
        .node("Softmax", "x", "defaultAxis")
        .node("Softmax", "x", "axis0", Attribute.of("axis", 0))
        .node("LogSoftmax", "x", "log", Attribute.of("axis", 1))
        .assertMatchesOnnxRuntime("axis1", "last", "defaultAxis", "axis0", "log");
  }

  @Test
  void softmaxAtOpset13NormalizesOneAxisMatchesOnnxRuntime() throws Exception {
    model(13)
        .floatsIn("x", -3f, 3f, 2, 3, 4)
        .node("Softmax", "x", "axis1", Attribute.of("axis", 1))
        .node("Softmax", "x", "defaultAxis")
        .node("LogSoftmax", "x", "log", Attribute.of("axis", 0))
        .assertMatchesOnnxRuntime("axis1", "defaultAxis", "log");
  }

  // ---------------------------------------------------------------- shape manipulation

  @Test
  void reshapeWithZeroAndMinusOneMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4)
        .longs("s1", new long[] {0, -1}, 2)
        .longs("s2", new long[] {-1, 0, 2}, 3)
        .node("Reshape", "x,s1", "y1")
        .node("Reshape", "x,s2", "y2")
        .assertMatchesOnnxRuntime("y1", "y2");
  }

  @Test
  void transposeWithAndWithoutPermMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4)
        .node("Transpose", "x", "perm", ints("perm", 2, 0, 1))
        .node("Transpose", "x", "reversed")
        .assertMatchesOnnxRuntime("perm", "reversed");
  }

  @Test
  void flattenAtPositiveZeroAndNegativeAxesMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4, 5)
        .node("Flatten", "x", "a2", Attribute.of("axis", 2))
        .node("Flatten", "x", "a0", Attribute.of("axis", 0))
        .node("Flatten", "x", "aNeg", Attribute.of("axis", -1))
        .node("Flatten", "x", "aDefault")
        .assertMatchesOnnxRuntime("a2", "a0", "aNeg", "aDefault");
  }

  @Test
  void squeezeAndUnsqueezeWithAxesInputsAtOpset13MatchOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 2, 1, 3, 1)
        .longs("last", new long[] {-1}, 1)
        .longs("outer", new long[] {0, -1}, 2)
        .longs("unsorted", new long[] {3, 0}, 2)
        .node("Squeeze", "x,last", "squeezedLast")
        .node("Squeeze", "x", "squeezedAll")
        .node("Unsqueeze", "squeezedAll,outer", "unsqueezed")
        .node("Unsqueeze", "squeezedAll,unsorted", "unsqueezedUnsorted")
        .assertMatchesOnnxRuntime("squeezedLast", "squeezedAll", "unsqueezed", "unsqueezedUnsorted");
  }

  @Test
  void squeezeAndUnsqueezeWithAxesAttributesBeforeOpset13MatchOnnxRuntime() throws Exception {
    model(11)
        .floats("x", 2, 1, 3, 1)
        .node("Squeeze", "x", "squeezed", ints("axes", 1, -1))
        .node("Unsqueeze", "squeezed", "unsqueezed", ints("axes", 1, 3))
        .assertMatchesOnnxRuntime("squeezed", "unsqueezed");
  }

  @Test
  void concatOnNegativeAxisMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("a", 2, 3, 1)
        .floats("b", 2, 3, 2)
        .weights("c", 2, 3, 4)
        .node("Concat", "a,b,c", "y", Attribute.of("axis", -1))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void splitWithSplitInputAtOpset13MatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 2, 7)
        .floats("z", 4, 3)
        .longs("sizes", new long[] {2, 4, 1}, 3)
        .node("Split", "x,sizes", "p0,p1,p2", Attribute.of("axis", 1))
        .node("Split", "z", "h0,h1")
        .assertMatchesOnnxRuntime("p0", "p1", "p2", "h0", "h1");
  }

  @Test
  void splitIntoUnevenNumOutputsAtOpset18MatchesOnnxRuntime() throws Exception {
    model(18)
        .floats("x", 3, 7)
        .node("Split", "x", "p0,p1,p2", Attribute.of("axis", -1), Attribute.of("num_outputs", 3))
        .assertMatchesOnnxRuntime("p0", "p1", "p2");
  }

  @Test
  void sliceWithNegativeStartsAndStepsMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 4, 5, 6)
        .longs("st1", new long[] {-3, 1}, 2)
        .longs("en1", new long[] {1000, -1}, 2)
        .longs("ax1", new long[] {0, -1}, 2)
        .longs("sp1", new long[] {1, 2}, 2)
        .longs("st2", new long[] {-1}, 1)
        .longs("en2", new long[] {Long.MIN_VALUE}, 1)
        .longs("ax2", new long[] {1}, 1)
        .longs("sp2", new long[] {-1}, 1)
        .longs("st3", new long[] {4, 5, -2}, 3)
        .longs("en3", new long[] {0, -1000, 0}, 3)
        .longs("sp3", new long[] {-2, -3, -1}, 3)
        .longs("st4", new long[] {1}, 1)
        .longs("en4", new long[] {3}, 1)
        .longs("st5", new long[] {3, 10}, 2)
        .longs("en5", new long[] {1, -10}, 2)
        .longs("sp5", new long[] {1, -1}, 2)
        .node("Slice", "x,st1,en1,ax1,sp1", "forward")
        .node("Slice", "x,st2,en2,ax2,sp2", "reversed")
        .node("Slice", "x,st3,en3,,sp3", "backward")
        .node("Slice", "x,st4,en4", "firstAxis")
        .node("Slice", "x,st5,en5,,sp5", "empty")
        .assertMatchesOnnxRuntime("forward", "reversed", "backward", "firstAxis", "empty");
  }

  @Test
  void gatherOnAxis1With2dAndNegativeIndicesMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 3, 5, 2)
        .longs("idx", new long[] {0, -1, 2, -3}, 2, 2)
        .constant("neg", Tensor.ofLongs(new long[0], -2))
        .longsIn("rows", 0, 2, 4)
        .node("Gather", "x,idx", "matrix", Attribute.of("axis", 1))
        .node("Gather", "x,neg", "scalar", Attribute.of("axis", 1))
        .longs("negRows", new long[] {-1, 0, -3}, 3)
        .longs("pairs", new long[] {1, -2, 0, -1}, 2, 2)
        .node("Gather", "x,rows", "axis0")
        .node("Gather", "x,negRows", "negativeAxis0")
        .node("Gather", "x,pairs", "lastAxis", Attribute.of("axis", -1))
        .assertMatchesOnnxRuntime("matrix", "scalar", "axis0", "negativeAxis0", "lastAxis");
  }

  @Test
  void expandBroadcastsToHigherRankMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 3, 1)
        .longs("s", new long[] {2, 1, 4}, 3)
        .longs("small", new long[] {1}, 1)
        .node("Expand", "x,s", "y")
        .node("Expand", "x,small", "same")
        .assertMatchesOnnxRuntime("y", "same");
  }

  @Test
  void shapeWithStartAndEndMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4, 5)
        .node("Shape", "x", "all")
        .node("Shape", "x", "middle", Attribute.of("start", 1), Attribute.of("end", -1))
        .assertMatchesOnnxRuntime("all", "middle");
  }

  @Test
  void constantOfShapeMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4)
        .node("Shape", "x", "s")
        .node("ConstantOfShape", "s", "zeros")
        .node("ConstantOfShape", "s", "halves", Attribute.of("value", Tensor.ofFloats(new long[] {1}, 1.5f)))
        .node("ConstantOfShape", "s", "sevens", Attribute.of("value", Tensor.ofLongs(new long[] {1}, 7)))
        .assertMatchesOnnxRuntime("zeros", "halves", "sevens");
  }

  @Test
  void castBetweenFloatInt64Int32AndBoolMatchesOnnxRuntime() throws Exception {
    float[] x = new float[12];
    for (int i = 0; i < x.length; i++) {
      x[i] = i % 4 == 0 ? 0f : (random.nextFloat() * 6 - 3);
    }
    model(17)
        .floats("x", x, 3, 4)
        .longsIn("n", -100, 100, 5)
        .node("Cast", "x", "toLong", Attribute.of("to", DataType.INT64.onnxCode()))
        .node("Cast", "x", "toInt", Attribute.of("to", DataType.INT32.onnxCode()))
        .node("Cast", "x", "toBool", Attribute.of("to", DataType.BOOL.onnxCode()))
        .node("Cast", "n", "toFloat", Attribute.of("to", DataType.FLOAT.onnxCode()))
        .node("Cast", "toBool", "boolToFloat", Attribute.of("to", DataType.FLOAT.onnxCode()))
        .assertMatchesOnnxRuntime("toLong", "toInt", "toBool", "toFloat", "boolToFloat");
  }

  @Test
  void padInConstantReflectAndEdgeModesMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 1, 2, 3, 4)
        .longs("pads", new long[] {0, 1, 2, 1, 0, 0, 1, 3}, 8)
        .constant("v", Tensor.ofFloats(new long[0], 0.5f))
        .node("Pad", "x,pads,v", "constant")
        .node("Pad", "x,pads", "zero")
        .node("Pad", "x,pads", "reflect", Attribute.of("mode", "reflect"))
        .node("Pad", "x,pads", "edge", Attribute.of("mode", "edge"))
        .assertMatchesOnnxRuntime("constant", "zero", "reflect", "edge");
  }

  @Test
  void padWithNegativePadsCropsMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 1, 2, 3, 4)
        .longs("pads", new long[] {0, 0, -1, 1, 0, 0, 1, -2}, 8)
        .node("Pad", "x,pads", "constant")
        .node("Pad", "x,pads", "edge", Attribute.of("mode", "edge"))
        .assertMatchesOnnxRuntime("constant", "edge");
  }

  @Test
  void padWithAxesInputAtOpset18MatchesOnnxRuntime() throws Exception {
    model(18)
        .floats("x", 2, 3, 4)
        .longs("pads", new long[] {2, 1, 0, 1}, 4)
        .longs("axes", new long[] {-1, 0}, 2)
        .node("Pad", "x,pads,,axes", "reflect", Attribute.of("mode", "reflect"))
        .node("Pad", "x,pads,,axes", "constant")
        .assertMatchesOnnxRuntime("reflect", "constant");
  }

  @Test
  void tileMatchesOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3)
        .longsIn("n", -9, 9, 3)
        .longs("r2", new long[] {2, 3}, 2)
        .longs("r1", new long[] {3}, 1)
        .node("Tile", "x,r2", "y")
        .node("Tile", "n,r1", "ints")
        .assertMatchesOnnxRuntime("y", "ints");
  }

  @Test
  void rangeOfFloatsAndInt64MatchesOnnxRuntime() throws Exception {
    model(17)
        .constant("fStart", Tensor.ofFloats(new long[0], 0.5f))
        .constant("fLimit", Tensor.ofFloats(new long[0], 3.7f))
        .constant("fDelta", Tensor.ofFloats(new long[0], 0.4f))
        .constant("iStart", Tensor.ofLongs(new long[0], 10))
        .constant("iLimit", Tensor.ofLongs(new long[0], -3))
        .constant("iDelta", Tensor.ofLongs(new long[0], -3))
        .node("Range", "fStart,fLimit,fDelta", "floats")
        .node("Range", "iStart,iLimit,iDelta", "longs")
        .assertMatchesOnnxRuntime("floats", "longs");
  }

  // ---------------------------------------------------------------- reductions

  @Test
  void reduceMeanWithAxesInputAtOpset18MatchesOnnxRuntime() throws Exception {
    model(18)
        .floats("x", 2, 3, 4)
        .longs("axes", new long[] {0, -1}, 2)
        .node("ReduceMean", "x,axes", "kept")
        .node("ReduceMean", "x,axes", "dropped", Attribute.of("keepdims", 0))
        .node("ReduceMean", "x", "all", Attribute.of("keepdims", 0))
        .assertMatchesOnnxRuntime("kept", "dropped", "all");
  }

  @Test
  void reduceMeanWithAxesAttributeAtOpset13MatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 2, 3, 4)
        .node("ReduceMean", "x", "kept", ints("axes", 1, 2))
        .node("ReduceMean", "x", "dropped", ints("axes", -2), Attribute.of("keepdims", 0))
        .assertMatchesOnnxRuntime("kept", "dropped");
  }

  @Test
  void reduceSumWithAxesInputAtOpset13MatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 2, 3, 4)
        .longsIn("n", -9, 9, 2, 3)
        .longs("axes", new long[] {1, -1}, 2)
        .longs("first", new long[] {0}, 1)
        .node("ReduceSum", "x,axes", "kept")
        .node("ReduceSum", "x,axes", "dropped", Attribute.of("keepdims", 0))
        .node("ReduceSum", "x", "all")
        .node("ReduceSum", "n,first", "ints", Attribute.of("keepdims", 0))
        .assertMatchesOnnxRuntime("kept", "dropped", "all", "ints");
  }

  @Test
  void reduceSumWithEmptyAxesReducesAllOrNothingMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 2, 3, 4)
        .longs("none", new long[0], 0)
        .node("ReduceSum", "x,none", "all", Attribute.of("keepdims", 0))
        .node("ReduceSum", "x,none", "noop", Attribute.of("noop_with_empty_axes", 1))
        .assertMatchesOnnxRuntime("all", "noop");
  }

  @Test
  void reduceMaxWithAxesAttributeAtOpset17AndInputAtOpset18MatchOnnxRuntime() throws Exception {
    model(17)
        .floats("x", 2, 3, 4)
        .node("ReduceMax", "x", "kept", ints("axes", 0, 2))
        .node("ReduceMax", "x", "dropped", ints("axes", 0, 2), Attribute.of("keepdims", 0))
        .assertMatchesOnnxRuntime("kept", "dropped");
    model(18)
        .floats("x", 2, 3, 4)
        .longs("axes", new long[] {-2, 0}, 2)
        .node("ReduceMax", "x,axes", "kept")
        .node("ReduceMax", "x,axes", "dropped", Attribute.of("keepdims", 0))
        .assertMatchesOnnxRuntime("kept", "dropped");
  }

  // ---------------------------------------------------------------- resize

  @Test
  void resizeNearestAsymmetricFloorWithScalesMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 1, 2, 3, 4)
        .constant("scales", Tensor.ofFloats(new long[] {4}, 1f, 1f, 2f, 1.5f))
        .node("Resize", "x,,scales", "y", Attribute.of("mode", "nearest"),
            Attribute.of("coordinate_transformation_mode", "asymmetric"), Attribute.of("nearest_mode", "floor"))
        .assertMatchesOnnxRuntime("y");
  }

  @Test
  void resizeLinearHalfPixelWithSizesMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 1, 2, 3, 4)
        .longs("up", new long[] {1, 2, 5, 7}, 4)
        .longs("down", new long[] {1, 2, 2, 3}, 4)
        .node("Resize", "x,,,up", "upsampled", Attribute.of("mode", "linear"),
            Attribute.of("coordinate_transformation_mode", "half_pixel"))
        .node("Resize", "x,,,down", "downsampled", Attribute.of("mode", "linear"),
            Attribute.of("coordinate_transformation_mode", "half_pixel"))
        .assertMatchesOnnxRuntime("upsampled", "downsampled");
  }

  @Test
  void resizeNearestRoundPreferFloorHalfPixelMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 1, 2, 4, 6)
        .constant("scales", Tensor.ofFloats(new long[] {4}, 1f, 1f, 0.5f, 2.5f))
        .constant("twice", Tensor.ofFloats(new long[] {4}, 1f, 1f, 2f, 2f))
        .node("Resize", "x,,scales", "mixed", Attribute.of("mode", "nearest"),
            Attribute.of("coordinate_transformation_mode", "half_pixel"),
            Attribute.of("nearest_mode", "round_prefer_floor"))
        .node("Resize", "x,,twice", "doubled", Attribute.of("mode", "nearest"),
            Attribute.of("coordinate_transformation_mode", "half_pixel"),
            Attribute.of("nearest_mode", "round_prefer_floor"))
        .assertMatchesOnnxRuntime("mixed", "doubled");
  }

  @Test
  void resizeWithFractionalScalesMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 1, 2, 4, 6)
        .constant("scales", Tensor.ofFloats(new long[] {4}, 1f, 1f, 1.7f, 0.6f))
        .node("Resize", "x,,scales", "linear", Attribute.of("mode", "linear"))
        .node("Resize", "x,,scales", "nearest")
        .assertMatchesOnnxRuntime("linear", "nearest");
  }

  @Test
  void resizeWithAlignCornersPytorchHalfPixelAndRoundPreferCeilMatchesOnnxRuntime() throws Exception {
    model(13)
        .floats("x", 1, 2, 4, 6)
        .longs("sizes", new long[] {1, 2, 7, 3}, 4)
        .node("Resize", "x,,,sizes", "alignCorners", Attribute.of("mode", "linear"),
            Attribute.of("coordinate_transformation_mode", "align_corners"))
        .node("Resize", "x,,,sizes", "pytorchHalfPixel", Attribute.of("mode", "linear"),
            Attribute.of("coordinate_transformation_mode", "pytorch_half_pixel"))
        .node("Resize", "x,,,sizes", "roundPreferCeil", Attribute.of("mode", "nearest"),
            Attribute.of("nearest_mode", "round_prefer_ceil"))
        .assertMatchesOnnxRuntime("alignCorners", "pytorchHalfPixel", "roundPreferCeil");
  }

  // ---------------------------------------------------------------- harness

  private Model model(long opset) {
    return new Model(opset);
  }

  /** A graph under construction with its inputs' values; {@link #assertMatchesOnnxRuntime} runs and compares. */
  private final class Model {
    private final Graph.Builder graph;
    private final Map<String, OrtReference.Input> feeds = new LinkedHashMap<>();
    private int nodes;

    Model(long opset) {
      graph = Graph.builder().name("conformance").opset("", opset);
    }

    /** A float input, uniform in [-2, 2). */
    Model floats(String name, long... shape) {
      return floatsIn(name, -2f, 2f, shape);
    }

    /** A float input, uniform in [lo, hi). */
    Model floatsIn(String name, float lo, float hi, long... shape) {
      float[] v = new float[(int) Tensor.numElements(shape)];
      for (int i = 0; i < v.length; i++) {
        v[i] = lo + random.nextFloat() * (hi - lo);
      }
      return floats(name, v, shape);
    }

    Model floats(String name, float[] values, long... shape) {
      graph.addInput(new ValueInfo(name, DataType.FLOAT, dims(shape)));
      feeds.put(name, new OrtReference.Input(values, shape));
      return this;
    }

    /** An int64 input, uniform in [lo, hi]. */
    Model longsIn(String name, long lo, long hi, long... shape) {
      long[] v = new long[(int) Tensor.numElements(shape)];
      for (int i = 0; i < v.length; i++) {
        v[i] = lo + (long) random.nextInt((int) (hi - lo + 1));
      }
      graph.addInput(new ValueInfo(name, DataType.INT64, dims(shape)));
      feeds.put(name, new OrtReference.Input(v, shape));
      return this;
    }

    /** An int64 constant (initializer). */
    Model longs(String name, long[] values, long... shape) {
      return constant(name, Tensor.ofLongs(shape, values));
    }

    /** A float constant (initializer), uniform in [-1, 1). */
    Model weights(String name, long... shape) {
      float[] v = new float[(int) Tensor.numElements(shape)];
      for (int i = 0; i < v.length; i++) {
        v[i] = random.nextFloat() * 2 - 1;
      }
      return constant(name, Tensor.ofFloats(shape, v));
    }

    Model constant(String name, Tensor t) {
      graph.addConstant(name, t);
      return this;
    }

    /** A node; inputs and outputs are comma-separated names, an empty name omits an optional input. */
    Model node(String opType, String inputs, String outputs, Attribute... attributes) {
      graph.addNode(
          Node.of("n" + nodes++, opType, List.of(inputs.split(",", -1)), List.of(outputs.split(",")), attributes));
      return this;
    }

    /** Declares the outputs, runs both engines on the same inputs and compares every output. */
    void assertMatchesOnnxRuntime(String... outputs) throws Exception {
      for (String o : outputs) {
        graph.addOutput(new ValueInfo(o, null, null));
      }
      Graph g = graph.build();
      Path file = dir.resolve("model-" + System.nanoTime() + ".onnx");
      new OnnxModelWriter().write(g, file);
      Map<String, OrtReference.Output> expected;
      try (OrtReference ort = new OrtReference(file, 1)) {
        expected = ort.runTyped(feeds, List.of(outputs));
      }
      try (DjlExecutor exec = new DjlExecutor(g);
          NDManager m = NDManager.newBaseManager()) {
        NDList actual = exec.run(m, OrtReference.Input.toArrays(feeds, m));
        assertEquals(outputs.length, actual.size());
        for (int i = 0; i < outputs.length; i++) {
          assertOutputMatches(outputs[i], expected.get(outputs[i]), actual.get(i), tolerance(g, outputs[i]));
        }
      }
      assertReferencesMatch(g, expected);
    }

    /** Heavy nodes that read only inputs and constants: their plain-Java reference against ONNX Runtime. */
    private void assertReferencesMatch(Graph g, Map<String, OrtReference.Output> expected) {
      for (Node n : g.nodes()) {
        OrtReference.Output out = expected.get(n.outputs().get(0));
        Optional<ReferenceKernel> reference = ReferenceKernels.of(n);
        if (out == null || reference.isEmpty()) {
          continue;
        }
        Operand[] operands = new Operand[n.inputs().size()];
        for (int i = 0; i < operands.length; i++) {
          String name = n.inputs().get(i);
          Tensor t = g.constants().get(name);
          OrtReference.Input feed = feeds.get(name);
          if (name.isEmpty()) {
            continue;
          } else if (t != null) {
            operands[i] = new Operand(t.floats(), t.shape());
          } else if (feed != null) {
            operands[i] = new Operand((float[]) feed.data(), feed.shape());
          } else {
            return;
          }
        }
        float[] want = (float[]) out.data();
        long step = (want.length + REFERENCE_POSITIONS - 1) / REFERENCE_POSITIONS;
        long[] positions = java.util.stream.LongStream.range(0, want.length).filter(i -> i % step == 0).toArray();
        Sampled ref = reference.get().compute(new KernelContext(n, g.defaultOpset(), null), operands, out.shape(),
            positions);
        for (int p = 0; p < positions.length; p++) {
          double allowed = KernelSelfCheck.TOLERANCE * ref.magnitudes()[p] + Float.MIN_NORMAL;
          int at = (int) positions[p];
          double value = ref.values()[p];
          assertTrue(Math.abs(value - want[at]) <= allowed, () -> n.describe() + ": reference "
              + value + " at " + at + ", ONNX Runtime " + want[at]);
        }
      }
    }
  }

  /** The tolerance of the operator that produces {@code output}. */
  private static double tolerance(Graph g, String output) {
    Node producer = g.producer(output);
    return producer == null ? EXACT : TOLERANCES.getOrDefault(producer.opType(), DEFAULT_TOLERANCE);
  }

  /** A list-of-ints attribute, also when it has a single value. */
  private static Attribute ints(String name, long... values) {
    return new Attribute(name, Attribute.Kind.INTS, values.clone());
  }

  private static List<Dim> dims(long[] shape) {
    List<Dim> d = new ArrayList<>();
    for (long s : shape) {
      d.add(Dim.of(s));
    }
    return d;
  }

  private static void assertOutputMatches(
      String name, OrtReference.Output expected, NDArray actual, double tolerance) {
    assertArrayEquals(
        expected.shape(),
        actual.getShape().getShape(),
        () -> name + ": shape " + actual.getShape() + ", ONNX Runtime " + Arrays.toString(expected.shape()));
    ai.djl.ndarray.types.DataType type = actual.getDataType();
    Object data = expected.data();
    if (data instanceof float[] e) {
      assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, type, name + ": element type");
      float[] a = actual.toFloatArray();
      double scale = 1;
      for (float v : e) {
        scale = Float.isFinite(v) ? Math.max(scale, Math.abs(v)) : scale;
      }
      double allowed = tolerance * scale;
      double diff = 0;
      int worst = -1;
      for (int i = 0; i < e.length; i++) {
        double d = Float.isNaN(e[i]) && Float.isNaN(a[i]) ? 0 : Math.abs((double) e[i] - a[i]);
        if (!(d <= diff)) {
          diff = d;
          worst = i;
        }
      }
      if (worst >= 0) {
        int w = worst;
        double maxDiff = diff;
        assertTrue(
            diff <= allowed,
            () -> name + ": max abs diff " + maxDiff + " (allowed " + allowed + ") at " + w + " (ours " + a[w] + ", ONNX Runtime " + e[w]
                + ")\nours " + Arrays.toString(a) + "\nORT  " + Arrays.toString(e));
      }
    } else if (data instanceof long[] e) {
      assertEquals(ai.djl.ndarray.types.DataType.INT64, type, name + ": element type");
      assertArrayEquals(e, actual.toLongArray(), name);
    } else if (data instanceof int[] e) {
      assertEquals(ai.djl.ndarray.types.DataType.INT32, type, name + ": element type");
      assertArrayEquals(e, actual.toIntArray(), name);
    } else if (data instanceof boolean[] e) {
      assertEquals(ai.djl.ndarray.types.DataType.BOOLEAN, type, name + ": element type");
      assertArrayEquals(e, actual.toBooleanArray(), name);
    } else {
      fail(name + ": unexpected output " + data);
    }
  }
}
