package org.sparkquant.job.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.sparkquant.job.pipeline.QatPipeline;
import org.sparkquant.job.pipeline.QatReport;
import org.sparkquant.job.pipeline.QatRequest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparkquant qat}: distributed quantization-aware training on Spark, then ONNX QDQ export. */
@Command(
    name = "qat",
    mixinStandardHelpOptions = true,
    description = {
      "Quantization-aware training on Spark, synchronous data parallel: in every step each executor computes the",
      "gradients of its share of the step's samples through the fake-quantized model (distilled from the FP32 model),",
      "the driver sums them in a fixed order and applies one optimizer update. Checkpoints go to",
      "--checkpoint-dir (default DIR.checkpoints) and --resume continues from the newest. Writes DIR/model.onnx",
      "(ONNX QDQ), DIR/report.json (loss per step, validation per epoch), DIR/checkpoints/ and DIR/_SUCCESS,",
      "atomically at the end. Default preset: w4g32."
    })
public final class QatCommand implements Callable<Integer> {
  @CommandLine.Mixin VerboseOption verbose;

  @CommandLine.Mixin ModelOptions model;

  @CommandLine.Mixin DataOptions data;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--micro-batch-size", paramLabel = "N",
      description = "Samples per gradient computation; a step's micro-batches are spread over the executors"
          + " (default: 8).")
  int microBatchSize = 8;

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs over the training samples (default: 3).")
  Integer epochs;

  @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps, instead of --epochs.")
  Long steps;

  @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate (default: 1e-4).")
  double lr = 1e-4;

  @Option(names = "--optimizer", paramLabel = "sgd|adamw", description = "Optimizer (default: adamw).")
  String optimizer = "adamw";

  @Option(names = "--momentum", paramLabel = "X", description = "SGD momentum (default: 0.9).")
  double momentum = 0.9;

  @Option(names = "--weight-decay", paramLabel = "X",
      description = "Weight decay of the quantized weights (default: 0).")
  double weightDecay;

  @Option(names = "--warmup-steps", paramLabel = "N", description = "Steps of linear warmup (default: 0).")
  long warmupSteps;

  @Option(names = "--schedule", paramLabel = "cosine|constant",
      description = "Learning rate after the warmup (default: cosine, to 0 at the last step).")
  String schedule = "cosine";

  @Option(names = "--loss", paramLabel = "LOSS",
      description = {"distill (default: cosine to the FP32 outputs for embeddings, KL to its logits for",
          "[batch, classes] outputs), distill-cosine, distill-mse, distill-kl, or ce (needs labels)."})
  String loss = "distill";

  @Option(names = "--learnable-scales",
      description = "Learn the weight scales, and the activation scales once the observers freeze (LSQ).")
  boolean learnableScales;

  @Option(names = "--freeze-observers-after", paramLabel = "N",
      description = "Steps during which activation observers gather ranges (default: all).")
  Long freezeObserversAfter;

  @Option(names = "--freeze-bn-after", paramLabel = "N",
      description = "Steps during which BatchNormalization scales and biases train (eager mode; default: all).")
  Long freezeBnAfter;

  @Option(names = "--validation-fraction", paramLabel = "F",
      description = "Share of the samples held out for validation (default: 0.1; 0 for none).")
  double validationFraction = 0.1;

  @Option(names = "--checkpoint-every", paramLabel = "N",
      description = "Steps between checkpoints, besides those after every epoch and at the end (default: 0).")
  long checkpointEvery;

  @Option(names = "--checkpoint-dir", paramLabel = "URI",
      description = "Checkpoint directory on any Hadoop file system (default: DIR.checkpoints).")
  String checkpointDir;

  @Option(names = "--resume", description = "Continue the run whose checkpoints are in the checkpoint directory.")
  boolean resume;

  @Option(names = "--resume-if-present",
      description = "Continue from the checkpoint directory when it holds a checkpoint, else start (for retries).")
  boolean resumeIfPresent;

  @Override
  public Integer call() throws IOException {
    QatRequest training = new QatRequest(microBatchSize, epochs, steps, lr, optimizer, momentum, weightDecay,
        warmupSteps, schedule, loss, learnableScales, freezeObserversAfter, freezeBnAfter, validationFraction,
        checkpointEvery, checkpointDir, resume, resumeIfPresent);
    PrintWriter out = spec.commandLine().getOut();
    QatPipeline.Result r = QatPipeline.run(model.request(), data.request(), training, out);
    if (r.report() == null) {
      return ModelOptions.dryRunPassed("qat", out);
    }
    QatReport report = r.report();
    QatReport.Totals t = report.totals();
    List<QatReport.LossPoint> losses = report.lossCurve();
    List<QatReport.Validation> validations = report.validation();
    QatReport.Validation last = validations.isEmpty() ? null : validations.get(validations.size() - 1);
    out.printf("trained %s for %d steps (%d this run) in %.1f s, %.1f samples/s; final loss %.6g%s%n",
        r.config().preset(), t.steps(), t.steps() - t.resumedFromStep(), t.seconds(),
        t.trainingSamplesPerSecond() == null ? 0.0 : t.trainingSamplesPerSecond(),
        losses.isEmpty() ? Double.NaN : losses.get(losses.size() - 1).loss(),
        last == null ? "" : String.format(", validation %s %.5f", last.metric(), last.value()));
    out.printf("wrote %s%n", model.output + "/model.onnx");
    return 0;
  }
}
