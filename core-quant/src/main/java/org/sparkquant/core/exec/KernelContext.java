package org.sparkquant.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.sparkquant.core.graph.Attribute;
import org.sparkquant.core.graph.DataType;
import org.sparkquant.core.graph.ModelFormatException;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.Tensor;

/** What a kernel may know about the node it computes: attributes, operator set version, and the run's manager. */
public final class KernelContext {
  private final Node node;
  private final long opset;
  private final NDManager manager;
  private final DataType[] inputTypes;

  public KernelContext(Node node, long opset, NDManager manager) {
    this(node, opset, manager, new DataType[node.inputs().size()]);
  }

  /** @param inputTypes declared IR element type per input where known (constants), else null entries */
  public KernelContext(Node node, long opset, NDManager manager, DataType[] inputTypes) {
    this.node = node;
    this.opset = opset;
    this.manager = manager;
    this.inputTypes = inputTypes;
  }

  /** The IR element types of a node's constant inputs (null for the others). */
  public static DataType[] constantTypes(Node node, java.util.Map<String, Tensor> constants) {
    DataType[] types = new DataType[node.inputs().size()];
    for (int i = 0; i < types.length; i++) {
      Tensor t = constants.get(node.inputs().get(i));
      types[i] = t == null ? null : t.dataType();
    }
    return types;
  }

  /**
   * The IR element type of input {@code i} when it is a constant, else null. It tells, for example, that a
   * float32 engine array holds INT4 codes.
   */
  public DataType inputType(int i) {
    return i < inputTypes.length ? inputTypes[i] : null;
  }

  public Node node() {
    return node;
  }

  /** Version of the default ONNX operator set the model was written for. */
  public long opset() {
    return opset;
  }

  /** The run's manager: arrays created here are freed when the run ends. */
  public NDManager manager() {
    return manager;
  }

  /**
   * {@code hostArray} copied into memory the engine allocates; {@code hostArray} is closed. Every kernel output made
   * from Java data ({@code manager().create(...)}) must pass through here: such an array borrows the memory of a
   * direct buffer that lives only while the array is open, and the executor closes an intermediate after its last
   * consumer, while views taken of it (Gather's select, Unsqueeze, Reshape) live on and would read freed memory
   * once the buffer is collected. See {@link EngineArrays#engineOwned}.
   */
  public NDArray engineOwned(NDArray hostArray) {
    return EngineArrays.engineOwned(hostArray);
  }

  public boolean has(String attr) {
    return node.attributes().containsKey(attr);
  }

  public long attrLong(String name, long def) {
    Attribute a = node.attributes().get(name);
    return a == null ? def : (Long) a.value();
  }

  public float attrFloat(String name, float def) {
    Attribute a = node.attributes().get(name);
    return a == null ? def : (Float) a.value();
  }

  public String attrString(String name, String def) {
    Attribute a = node.attributes().get(name);
    return a == null ? def : (String) a.value();
  }

  public long[] attrLongs(String name, long[] def) {
    Attribute a = node.attributes().get(name);
    return a == null ? def : ((long[]) a.value()).clone();
  }

  public float[] attrFloats(String name, float[] def) {
    Attribute a = node.attributes().get(name);
    return a == null ? def : ((float[]) a.value()).clone();
  }

  public Tensor attrTensor(String name) {
    Attribute a = node.attributes().get(name);
    return a == null ? null : (Tensor) a.value();
  }

  /** An error about this node's content, naming it. */
  public ModelFormatException error(String message) {
    return new ModelFormatException(node.describe() + ": " + message);
  }

  /** The values of a small integer input (shapes, axes, indices), read to the host. */
  public long[] longs(NDArray a) {
    return a.getDataType() == ai.djl.ndarray.types.DataType.INT64
        ? a.toLongArray()
        : a.toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
  }

  /** The value of a scalar float input, read to the host. */
  public float scalar(NDArray a) {
    return a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray()[0];
  }
}
