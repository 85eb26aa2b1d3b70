package org.sparkquant.job.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.exec.ShapeTrace;
import org.sparkquant.core.fusion.FusionBlock;
import org.sparkquant.core.fusion.FusionPatterns;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.graph.Node;
import org.sparkquant.core.graph.ValueInfo;
import org.sparkquant.core.passes.BatchNormFolding;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.job.spark.SparkContexts;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sparkquant inspect}: the model's nodes with their shapes, and a summary; in graph mode also the fusion blocks
 * ({@link FusionPatterns#defaults()}).
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Lists every node of an ONNX model: name, op type, input and output shapes; then a summary.",
      "Node names are the names per-layer rules match."
    })
public final class InspectCommand implements Callable<Integer> {
  @CommandLine.Mixin VerboseOption verbose;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", required = true, paramLabel = "M.onnx",
      description = "The ONNX model file, on any Hadoop file system.")
  String model;

  @Option(
      names = "--input-shape",
      paramLabel = "NAME=DxDx..",
      description = "Shape of an input for the trial run that finds shapes, e.g. input_ids=1x16 (repeatable).")
  Map<String, String> inputShapes = new LinkedHashMap<>();

  @Option(names = "--no-shapes", description = "Skip the trial run; show only declared shapes.")
  boolean noShapes;

  @Option(names = "--mode", defaultValue = "eager", paramLabel = "graph|eager",
      description = "eager (default) lists the model as it is; graph lists it as graph-mode quantization sees it "
          + "(BatchNorm folded into convolutions) and its fusion blocks (pattern and nodes), around which activation "
          + "quantizers go.")
  String mode;

  @Override
  public Integer call() {
    if (!mode.equals("eager") && !mode.equals("graph")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--mode: '" + mode + "' is not one of graph, eager");
    }
    Graph read = new OnnxModelReader().read(SparkContexts.fileStore(new SparkConf()), model);
    Graph graph = mode.equals("graph") ? new BatchNormFolding().apply(read) : read;
    Map<String, long[]> given = parseShapes(graph);
    PrintWriter out = spec.commandLine().getOut();
    Map<String, long[]> shapes = new HashMap<>();
    String traceNote;
    if (noShapes) {
      traceNote = "declared only (--no-shapes)";
    } else {
      Map<String, long[]> concrete = ShapeTrace.inputShapes(graph.inputs(), given);
      try (DjlExecutor exec = new DjlExecutor(graph)) {
        shapes = ShapeTrace.trace(exec, concrete);
        traceNote =
            "from a trial run with "
                + concrete.entrySet().stream().map(e -> e.getKey() + "=" + dims(e.getValue()))
                    .collect(Collectors.joining(" "));
      } catch (IllegalArgumentException e) {
        traceNote = "declared only (trial run failed: " + SparkQuantCli.oneLine(e.getMessage())
            + "; pass --input-shape)";
      }
    }
    out.printf("model    %s (%s mode)%n", model, mode);
    out.printf("opsets   %s%n", graph.opsets().entrySet().stream()
        .map(e -> (e.getKey().isEmpty() ? "ai.onnx" : e.getKey()) + " " + e.getValue())
        .collect(Collectors.joining(", ")));
    out.printf("inputs   %s%n", describe(graph.inputs()));
    out.printf("outputs  %s%n", describe(graph.outputs()));
    out.printf("shapes   %s%n", traceNote);
    out.printf("nodes    %d%n", graph.nodes().size());
    for (Node n : graph.nodes()) {
      out.printf(
          "  %-48s %-20s %s -> %s%n",
          n.name(), n.qualifiedOpType(), shapesOf(graph, shapes, n.inputs()), shapesOf(graph, shapes, n.outputs()));
    }
    Map<String, Long> ops =
        graph.nodes().stream().collect(Collectors.groupingBy(Node::qualifiedOpType, TreeMap::new, Collectors.counting()));
    out.printf("summary  %d nodes, %d constants, %,d parameters, default opset %d%n",
        graph.nodes().size(), graph.constants().size(), graph.parameterCount(), graph.defaultOpset());
    out.printf("ops      %s%n", ops.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
        .collect(Collectors.joining(", ")));
    if (mode.equals("graph")) {
      printBlocks(out, FusionPatterns.defaults().blocks(graph));
    }
    return 0;
  }

  /** The fusion blocks graph-mode quantization places activation quantizers around: a count per pattern, then each. */
  private static void printBlocks(PrintWriter out, List<FusionBlock> blocks) {
    Map<String, Long> perPattern = blocks.stream()
        .collect(Collectors.groupingBy(FusionBlock::pattern, TreeMap::new, Collectors.counting()));
    out.printf("blocks   %d fusion blocks%s%n", blocks.size(), perPattern.isEmpty() ? "" : ": "
        + perPattern.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
    for (FusionBlock b : blocks) {
      out.printf("  %-28s %s (%s)%n", b.pattern(), b.nodes().stream().map(Node::name).collect(Collectors.joining(", ")),
          b.ops());
    }
  }

  private Map<String, long[]> parseShapes(Graph graph) {
    Map<String, long[]> result = new HashMap<>();
    for (Map.Entry<String, String> e : inputShapes.entrySet()) {
      if (graph.inputs().stream().noneMatch(v -> v.name().equals(e.getKey()))) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--input-shape: '" + e.getKey() + "' is not an input of the model; inputs are "
                + graph.inputs().stream().map(ValueInfo::name).toList());
      }
      try {
        long[] s = Arrays.stream(e.getValue().split("x")).mapToLong(Long::parseLong).toArray();
        if (Arrays.stream(s).anyMatch(d -> d <= 0)) {
          throw new NumberFormatException("non-positive");
        }
        result.put(e.getKey(), s);
      } catch (NumberFormatException ex) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--input-shape " + e.getKey() + ": '" + e.getValue() + "' is not a shape like 1x3x224x224");
      }
    }
    return result;
  }

  private static String describe(List<ValueInfo> values) {
    return values.stream()
        .map(v -> v.name() + " " + (v.dataType() == null ? "?" : v.dataType().name().toLowerCase()) + " "
            + v.shapeText())
        .collect(Collectors.joining("; "));
  }

  private static String shapesOf(Graph graph, Map<String, long[]> traced, List<String> values) {
    return values.stream()
        .map(v -> {
          if (v.isEmpty()) {
            return "-";
          }
          long[] s = traced.get(v);
          if (s != null) {
            return "[" + dims(s).replace('x', ',') + "]";
          }
          if (graph.constants().containsKey(v)) {
            return Arrays.toString(graph.constants().get(v).shape()).replace(" ", "");
          }
          ValueInfo info = graph.valueInfo(v);
          return info == null ? "?" : info.shapeText();
        })
        .collect(Collectors.joining(" "));
  }

  private static String dims(long[] s) {
    return s.length == 0 ? "scalar" : Arrays.stream(s).mapToObj(Long::toString).collect(Collectors.joining("x"));
  }
}
