package org.sparkquant.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.Dim;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.numerics.Granularity;
import org.sparkquant.core.numerics.Packing;
import org.sparkquant.core.numerics.QuantParams;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.ScalarQuantizer;
import org.sparkquant.core.numerics.SmallFloats;

/**
 * {@code x → QuantizeLinear → q → DequantizeLinear → y} built in code and run in ONNX Runtime, against
 * {@link ScalarQuantizer}: y must be bitwise equal to {@code fakeQuantize}, and the codes equal to {@code quantize}.
 * ONNX Runtime's Java API returns 8-bit codes (integer and float8) as they are; 4-, 2- and 16-bit codes are read
 * through a {@code Cast} to INT8/UINT8/INT32. The data holds exact ties ({@code x / scale} halfway between two codes),
 * values far beyond the range of both signs (±Inf included), zeros of both signs and values spread over the range.
 *
 * <p>Where ONNX Runtime 1.29 (CPU) departs from the ONNX semantics that {@link ScalarQuantizer} follows, the data
 * stays out of the way and the departure is stated here:
 *
 * <ul>
 *   <li>4- and 2-bit integers (INT2/UINT2 always, INT4/UINT4 per channel and per block): ONNX Runtime converts
 *       {@code rint(x / scale)} to int32 before adding the zero point and clamping, so a quotient of magnitude
 *       {@code 2^31} or more (±Inf included) is an undefined conversion (on x86 it yields INT_MIN, and adding a
 *       negative zero point wraps around) and may give the code at the wrong end of the range; ONNX says saturate. The
 *       data for these types reaches up to {@code |x / scale| < 2^31}, and ±Inf and near-float-max values are tested
 *       on the 8- and 16-bit types and float8.
 *   <li>INT2/UINT2 per channel when nothing follows the channel axis (the last axis, or trailing dimensions of size
 *       1): ONNX Runtime's QuantizeLinear applies other channels' scales and zero points (with 8 channels, channels
 *       0 to 2 use channel 2's and 4 to 6 use channel 6's). Its DequantizeLinear is right, so that layout is checked
 *       through DequantizeLinear alone; per channel with trailing elements, per tensor and per block agree.
 *   <li>Float8 without saturation: see {@link #nonSaturatingFloat8CodesMatchOnnxRuntimeOutsideItsTwoOverflowWindows}.
 *   <li>FP4 (E2M1) is absent: ONNX Runtime has no CPU kernel for QuantizeLinear, DequantizeLinear or Cast on it.
 * </ul>
 */
class QuantizeLinearConformanceTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  @TempDir Path dir;

  private final Random random = new Random(20250611);

  // ---------------------------------------------------------------- 8-bit integers, opset 13

  @Test
  void int8AndUint8PerTensorAtOpset13MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT8, QuantType.UINT8)) {
      check(13, t, Granularity.perTensor(), null, 8, 125);
    }
  }

  @Test
  void int8AndUint8PerChannelOnEveryAxisAtOpset13MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT8, QuantType.UINT8)) {
      for (int axis : new int[] {0, 1, -1}) {
        check(13, t, Granularity.perChannel(axis), null, 6, 40, 5);
      }
    }
  }

  // ---------------------------------------------------------------- 4-bit integers, opset 21

  @Test
  void int4AndUint4PerBlockOf32AtOpset21MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT4, QuantType.UINT4)) {
      check(21, t, Granularity.perBlock(1, 32), null, 4, 96);
      check(21, t, Granularity.perBlock(1, 32), null, 3, 80); // 80 = 2 full blocks and a half one
      check(21, t, Granularity.perBlock(0, 32), null, 45, 7); // odd element count: a padded nibble
      check(21, t, Granularity.perBlock(1, 32), null, 2, 40, 3); // blocks along a middle axis
    }
  }

  @Test
  void int4AndUint4PerTensorAndPerChannelAtOpset21MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT4, QuantType.UINT4)) {
      check(21, t, Granularity.perTensor(), null, 7, 31);
      check(21, t, Granularity.perChannel(0), null, 9, 33);
      check(21, t, Granularity.perChannel(1), null, 9, 33);
    }
  }

  // ---------------------------------------------------------------- 2-bit integers, opset 25

  @Test
  void int2AndUint2PerTensorAtOpset25MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT2, QuantType.UINT2)) {
      check(25, t, Granularity.perTensor(), null, 5, 21);
    }
  }

  @Test
  void int2AndUint2PerChannelWithInnerElementsAtOpset25MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT2, QuantType.UINT2)) {
      check(25, t, Granularity.perChannel(0), null, 7, 3);
      check(25, t, Granularity.perChannel(0), null, 7, 5);
      check(25, t, Granularity.perChannel(1), null, 3, 9, 2);
    }
  }

  @Test
  void int2AndUint2PerBlockOf32AtOpset25MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT2, QuantType.UINT2)) {
      check(25, t, Granularity.perBlock(1, 32), null, 4, 70);
      check(25, t, Granularity.perBlock(0, 32), null, 70, 3);
    }
  }

  /** ONNX Runtime's QuantizeLinear is wrong here (see the class comment), so this checks DequantizeLinear alone. */
  @Test
  void int2AndUint2PerChannelOnTheLastAxisDequantizeLikeOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT2, QuantType.UINT2)) {
      checkDequantize(25, t, Granularity.perChannel(1), 9, 13);
      checkDequantize(25, t, Granularity.perChannel(-1), 2, 3, 8);
    }
  }

  // ---------------------------------------------------------------- 16-bit integers, opset 21

  @Test
  void int16AndUint16PerTensorAndPerChannelAtOpset21MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.INT16, QuantType.UINT16)) {
      check(21, t, Granularity.perTensor(), null, 6, 50);
      check(21, t, Granularity.perChannel(1), null, 6, 50);
    }
  }

  // ---------------------------------------------------------------- float8, opset 19

  @Test
  void float8E4M3FNPerTensorAndPerChannelAtOpset19MatchOnnxRuntime() throws Exception {
    check(19, QuantType.FP8_E4M3FN, Granularity.perTensor(), null, 6, 171);
    check(19, QuantType.FP8_E4M3FN, Granularity.perChannel(0), null, 12, 50);
    check(19, QuantType.FP8_E4M3FN, Granularity.perChannel(1), null, 12, 50);
  }

  @Test
  void float8E5M2PerTensorAndPerChannelAtOpset19MatchOnnxRuntime() throws Exception {
    check(19, QuantType.FP8_E5M2, Granularity.perTensor(), null, 6, 171);
    check(19, QuantType.FP8_E5M2, Granularity.perChannel(1), null, 12, 50);
  }

  @Test
  void explicitSaturationAndNonSaturationOfFloat8MatchOnnxRuntime() throws Exception {
    for (QuantType t : List.of(QuantType.FP8_E4M3FN, QuantType.FP8_E5M2)) {
      check(19, t, Granularity.perTensor(), true, 6, 171);
      // Out-of-range values here are at least twice the largest value: see the overflow-window test below.
      check(19, t, Granularity.perTensor(), false, 6, 171);
      check(19, t, Granularity.perChannel(0), false, 12, 50);
    }
  }

  /**
   * Every code boundary of both float8 formats (each midpoint and its neighbours) and random bit patterns, quantized
   * with scale 1: ONNX Runtime's saturating conversion must give exactly {@link SmallFloats}' codes.
   */
  @Test
  void saturatingFloat8CodesMatchOnnxRuntimeAtEveryRoundingBoundary() throws Exception {
    for (QuantType t : List.of(QuantType.FP8_E4M3FN, QuantType.FP8_E5M2)) {
      float[] x = boundaryProbes(t);
      int[] ort = float8Codes(t, true, x);
      for (int i = 0; i < x.length; i++) {
        int ours = SmallFloats.encode(t, x[i], true);
        int at = i;
        assertEquals(ours, ort[i], () -> t + " of " + x[at] + " (bits " + Integer.toHexString(
            Float.floatToRawIntBits(x[at])) + ")");
      }
    }
  }

  /**
   * Without saturation ONNX Runtime 1.29 (CPU) departs from the ONNX semantics, which {@link SmallFloats} follows (round
   * to nearest even, then overflow to NaN for E4M3FN or ±Inf for E5M2, as the ONNX reference implementation does), in
   * exactly two windows: E4M3FN values with {@code 480 <= |x| < 496} become ±448 instead of NaN, and E5M2 values with
   * {@code 61440 <= |x| < 65536} become NaN ({@code 0x7F}/{@code 0xFF}) instead of ±Inf. Everywhere else, and at the
   * window edges, the codes are equal; inside the windows this pins ONNX Runtime's codes so that a change shows up.
   */
  @Test
  void nonSaturatingFloat8CodesMatchOnnxRuntimeOutsideItsTwoOverflowWindows() throws Exception {
    for (QuantType t : List.of(QuantType.FP8_E4M3FN, QuantType.FP8_E5M2)) {
      boolean e4m3 = t == QuantType.FP8_E4M3FN;
      float windowLo = e4m3 ? 480f : 61440f;
      float windowHi = e4m3 ? 496f : 65536f;
      List<Float> values = new ArrayList<>();
      for (float b : boundaryProbes(t)) {
        values.add(b);
      }
      // Every third float from below the largest value to beyond the window, both signs.
      int from = Float.floatToIntBits(e4m3 ? 440f : 56000f);
      int to = Float.floatToIntBits(windowHi * 1.1f);
      for (int bits = from; bits < to; bits += 3) {
        values.add(Float.intBitsToFloat(bits));
        values.add(-Float.intBitsToFloat(bits));
      }
      for (float edge : new float[] {windowLo, Math.nextDown(windowLo), windowHi, Math.nextDown(windowHi)}) {
        values.add(edge);
        values.add(-edge);
      }
      float[] x = toArray(values);
      int[] ort = float8Codes(t, false, x);
      int inWindow = 0;
      for (int i = 0; i < x.length; i++) {
        float a = Math.abs(x[i]);
        int expected = SmallFloats.encode(t, x[i], false);
        if (a >= windowLo && a < windowHi) {
          inWindow++;
          int sign = x[i] < 0 ? 0x80 : 0;
          expected = sign | (e4m3 ? 0x7E : 0x7F);
        }
        int at = i;
        int want = expected;
        assertEquals(want, ort[i], () -> t + " without saturation of " + x[at] + ": expected ONNX Runtime to give "
            + Integer.toHexString(want) + ", it gave " + Integer.toHexString(ort[at]));
      }
      assertTrue(inWindow > 1000, "the sweep reaches into the window");
    }
  }

  // ---------------------------------------------------------------- harness

  /**
   * Dequantizes random codes of {@code shape}, held in a constant of the quantized type, in ONNX Runtime and in the
   * reference, and requires bitwise equal values.
   */
  private void checkDequantize(int opset, QuantType t, Granularity granularity, long... shape) throws Exception {
    QuantParams p = randomParams(t, granularity, shape);
    int[] codes = new int[(int) Tensor.numElements(shape)];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = t.min() + random.nextInt(t.max() - t.min() + 1);
    }
    Graph.Builder g = Graph.builder().name("dq").opset("", opset);
    g.addConstant("q", new Tensor(t.onnxType(), shape, ByteBuffer.wrap(Packing.pack(t, codes))));
    g.addConstant("scale", Tensor.ofFloats(p.paramShape(), p.scale()));
    g.addConstant("zero_point",
        new Tensor(t.onnxType(), p.paramShape(), ByteBuffer.wrap(Packing.pack(t, p.zeroPoint()))));
    g.addNode(Node.of("dequantize", "DequantizeLinear", List.of("q", "scale", "zero_point"), List.of("y"),
        axisAttributes(granularity).toArray(Attribute[]::new)));
    g.addOutput(new ValueInfo("y", null, null));
    Path file = dir.resolve("dq-" + System.nanoTime() + ".onnx");
    new OnnxModelWriter().write(g.build(), file);
    float[] ort;
    try (OrtSession session = ENV.createSession(file.toString(), new OrtSession.SessionOptions());
        OrtSession.Result r = session.run(Map.of())) {
      FloatBuffer yb = ((OnnxTensor) r.get("y").orElseThrow()).getFloatBuffer();
      ort = new float[yb.remaining()];
      yb.get(ort);
    }
    float[] y = ScalarQuantizer.dequantize(codes, shape, p);
    for (int i = 0; i < y.length; i++) {
      if (Float.floatToIntBits(y[i]) != Float.floatToIntBits(ort[i])) {
        fail(t + " " + granularity + " " + Arrays.toString(shape) + " at " + i + ": code " + codes[i] + " gives "
            + y[i] + ", ONNX Runtime " + ort[i]);
      }
    }
  }

  private QuantParams randomParams(QuantType t, Granularity granularity, long[] shape) {
    long[] paramShape = granularity.paramShape(shape);
    int paramCount = (int) Tensor.numElements(paramShape);
    float[] scale = new float[paramCount];
    int[] zeroPoint = new int[paramCount];
    for (int k = 0; k < paramCount; k++) {
      scale[k] = (float) Math.scalb(0.5 + random.nextDouble(), random.nextInt(12) - 8);
      zeroPoint[k] = t.isFloat() ? 0 : t.min() + random.nextInt(t.max() - t.min() + 1);
    }
    return new QuantParams(t, granularity, paramShape, scale, zeroPoint);
  }

  private static List<Attribute> axisAttributes(Granularity granularity) {
    List<Attribute> attributes = new ArrayList<>();
    if (granularity instanceof Granularity.PerChannel c) {
      attributes.add(Attribute.of("axis", (long) c.axis()));
    } else if (granularity instanceof Granularity.PerBlock b) {
      attributes.add(Attribute.of("axis", (long) b.axis()));
      attributes.add(Attribute.of("block_size", (long) b.blockSize()));
    }
    return attributes;
  }

  /**
   * Quantizes random data of {@code shape} with random parameters of {@code granularity} in ONNX Runtime and in the
   * reference, and requires equal codes and bitwise equal dequantized values.
   *
   * @param saturate the QuantizeLinear {@code saturate} attribute, or null to leave it at its default (1)
   */
  private void check(int opset, QuantType t, Granularity granularity, Boolean saturate, long... shape)
      throws Exception {
    QuantParams p = randomParams(t, granularity, shape);
    float[] scale = p.scale();
    int[] zeroPoint = p.zeroPoint();
    boolean sat = saturate == null || saturate;
    int[] index = ScalarQuantizer.paramIndex(shape, granularity);
    float[] x = new float[index.length];
    int ties = 0;
    for (int i = 0; i < x.length; i++) {
      x[i] = sample(t, scale[index[i]], zeroPoint[index[i]], sat);
      ties += isTie(t, x[i] / scale[index[i]]) ? 1 : 0;
    }
    String what = t + " " + granularity + " " + Arrays.toString(shape) + " opset " + opset
        + (saturate == null ? "" : " saturate " + saturate);
    assertTrue(ties >= x.length / 10, what + ": only " + ties + " exact ties in " + x.length + " values");

    Result ort = runOnnxRuntime(qdqModel(opset, p, saturate, shape), x, shape, t);
    int[] codes = ScalarQuantizer.quantize(x, shape, p, sat);
    float[] y = ScalarQuantizer.fakeQuantize(x, shape, p, sat);
    for (int i = 0; i < x.length; i++) {
      int k = index[i];
      String element = what + " at " + i + ": x = " + x[i] + " scale = " + scale[k] + " zp = " + zeroPoint[k];
      if (codes[i] != ort.codes[i]) {
        fail(element + ": code " + codes[i] + ", ONNX Runtime " + ort.codes[i]);
      }
      if (Float.floatToIntBits(y[i]) != Float.floatToIntBits(ort.y[i])) {
        fail(element + ": y " + y[i] + ", ONNX Runtime " + ort.y[i]);
      }
    }
  }

  /** One input value for parameters {@code (s, zp)}: a tie, far out of range, a zero, or within the range. */
  private float sample(QuantType t, float s, int zp, boolean saturate) {
    int kind = random.nextInt(100);
    float max = t.isFloat() ? t.max() : t.max() - zp;
    float min = t.isFloat() ? t.min() : t.min() - zp;
    if (kind < 25) {
      return tie(t, s, zp);
    } else if (kind < 35) {
      float sign = random.nextBoolean() ? 1 : -1;
      if (t.bits() < 8) {
        return sign * belowInt32Range((float) Math.scalb(1 + random.nextDouble(), 5 + random.nextInt(26)), s);
      }
      return switch (random.nextInt(8)) {
        case 0 -> sign * Float.POSITIVE_INFINITY;
        case 1 -> sign * Float.MAX_VALUE;
        // Far beyond: at least twice the largest magnitude (out of ONNX Runtime's non-saturating overflow windows).
        default -> sign * (t.max() - t.min() + 1) * s * (2 + random.nextFloat() * 1000);
      };
    } else if (kind < 42) {
      return random.nextBoolean() ? 0f : -0f;
    } else if (t.isFloat()) {
      // Log-uniform magnitudes reaching the subnormals; without saturation, stay within the largest value.
      int lowest = t == QuantType.FP8_E4M3FN ? -11 : -18;
      int highest = t == QuantType.FP8_E4M3FN ? 8 : 15;
      float v = (float) Math.scalb(1 + random.nextDouble(), lowest + random.nextInt(highest - lowest + 1));
      v = saturate ? v : Math.min(v, max);
      return (random.nextBoolean() ? v : -v) * s;
    }
    return (min - 1 + random.nextFloat() * (max - min + 2)) * s;
  }

  /**
   * The largest x at most {@code v·s} with {@code |x / s| < 2^31}: for 4- and 2-bit types ONNX Runtime converts
   * {@code x / s} to int32 before clamping (see the class comment), so larger quotients are left out.
   */
  private static float belowInt32Range(float v, float s) {
    float x = Math.min(v, 0x1p31f) * s;
    while (x / s >= 0x1p31f) {
      x = Math.nextDown(x);
    }
    return x;
  }

  /** An x whose {@code x / s} is exactly halfway between two codes (when such a float exists next to {@code v·s}). */
  private float tie(QuantType t, float s, int zp) {
    float v;
    if (t.isFloat()) {
      int largest = t == QuantType.FP8_E4M3FN ? 0x7E : 0x7B;
      int c = random.nextInt(largest);
      v = (SmallFloats.decode(t, c) + SmallFloats.decode(t, c + 1)) / 2;
      v = random.nextBoolean() ? v : -v;
    } else {
      v = t.min() - zp - 2 + random.nextInt(t.max() - t.min() + 4) + 0.5f;
    }
    float x = v * s;
    for (float candidate : new float[] {x, Math.nextUp(x), Math.nextDown(x)}) {
      if (candidate / s == v) {
        return candidate;
      }
    }
    return x;
  }

  private static boolean isTie(QuantType t, float v) {
    if (!t.isFloat()) {
      return v - (float) Math.floor(v) == 0.5f;
    }
    if (!Float.isFinite(v) || Math.abs(v) >= t.max()) {
      return false;
    }
    float lo = SmallFloats.round(t, Math.nextDown(v));
    float hi = SmallFloats.round(t, Math.nextUp(v));
    return lo != hi && (lo + hi) / 2 == v;
  }

  /** Graph {@code x → QuantizeLinear → q → DequantizeLinear → y}, plus a Cast of q where Java cannot read q. */
  private static Graph qdqModel(int opset, QuantParams p, Boolean saturate, long[] shape) {
    QuantType t = p.type();
    List<Dim> dims = new ArrayList<>();
    for (long d : shape) {
      dims.add(Dim.of(d));
    }
    List<Attribute> attributes = axisAttributes(p.granularity());
    List<Attribute> quantizeAttributes = new ArrayList<>(attributes);
    if (saturate != null) {
      quantizeAttributes.add(Attribute.of("saturate", saturate ? 1L : 0L));
    }
    Graph.Builder g = Graph.builder().name("qdq").opset("", opset);
    g.addInput(new ValueInfo("x", DataType.FLOAT, dims));
    g.addConstant("scale", Tensor.ofFloats(p.paramShape(), p.scale()));
    g.addConstant("zero_point",
        new Tensor(t.onnxType(), p.paramShape(), ByteBuffer.wrap(Packing.pack(t, p.zeroPoint()))));
    g.addNode(Node.of("quantize", "QuantizeLinear", List.of("x", "scale", "zero_point"), List.of("q"),
        quantizeAttributes.toArray(Attribute[]::new)));
    g.addNode(Node.of("dequantize", "DequantizeLinear", List.of("q", "scale", "zero_point"), List.of("y"),
        attributes.toArray(Attribute[]::new)));
    g.addOutput(new ValueInfo("y", null, null));
    if (t.bits() == 8) {
      g.addOutput(new ValueInfo("q", null, null));
    } else {
      DataType readable = t.bits() == 16 ? DataType.INT32 : t.isSigned() ? DataType.INT8 : DataType.UINT8;
      g.addNode(Node.of("read", "Cast", List.of("q"), List.of("codes"), Attribute.of("to", readable.onnxCode())));
      g.addOutput(new ValueInfo("codes", null, null));
    }
    return g.build();
  }

  private record Result(int[] codes, float[] y) {}

  private Result runOnnxRuntime(Graph g, float[] x, long[] shape, QuantType t) throws Exception {
    Path file = dir.resolve("qdq-" + System.nanoTime() + ".onnx");
    new OnnxModelWriter().write(g, file);
    String codesName = t.bits() == 8 ? "q" : "codes";
    try (OrtSession session = ENV.createSession(file.toString(), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), shape);
        OrtSession.Result r = session.run(Map.of("x", input))) {
      FloatBuffer yb = ((OnnxTensor) r.get("y").orElseThrow()).getFloatBuffer();
      float[] y = new float[yb.remaining()];
      yb.get(y);
      OnnxTensor q = (OnnxTensor) r.get(codesName).orElseThrow();
      int[] codes;
      if (t.bits() == 16) {
        IntBuffer ib = q.getIntBuffer();
        codes = new int[ib.remaining()];
        ib.get(codes);
      } else {
        QuantType asByte = t.bits() == 8 ? t : t.isSigned() ? QuantType.INT8 : QuantType.UINT8;
        ByteBuffer bb = q.getByteBuffer();
        byte[] bytes = new byte[bb.remaining()];
        bb.get(bytes);
        codes = Packing.unpack(asByte, bytes, x.length);
      }
      return new Result(codes, y);
    }
  }

  /** Float8 codes of {@code x} from a lone QuantizeLinear with scale 1, as ONNX Runtime computes them. */
  private int[] float8Codes(QuantType t, boolean saturate, float[] x) throws Exception {
    QuantParams p = QuantParams.perTensor(t, 1f, 0);
    Graph g = qdqModel(19, p, saturate, new long[] {x.length});
    return runOnnxRuntime(g, x, new long[] {x.length}, t).codes;
  }

  /** Each midpoint between neighbouring codes with its two neighbouring floats, specials, and random bit patterns. */
  private float[] boundaryProbes(QuantType t) {
    List<Float> v = new ArrayList<>();
    for (int c = 0; c < 256; c++) {
      float a = SmallFloats.decode(t, c);
      v.add(a);
      if ((c & 0x7F) != 0x7F) {
        float b = SmallFloats.decode(t, c + 1);
        if (Float.isFinite(a) && Float.isFinite(b)) {
          float mid = (a + b) / 2;
          v.add(mid);
          v.add(Math.nextUp(mid));
          v.add(Math.nextDown(mid));
        }
      }
    }
    v.addAll(List.of(Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xFFC00000),
        -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE));
    for (int i = 0; i < 50000; i++) {
      v.add(Float.intBitsToFloat(random.nextInt()));
    }
    return toArray(v);
  }

  private static float[] toArray(List<Float> values) {
    float[] a = new float[values.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = values.get(i);
    }
    return a;
  }
}
