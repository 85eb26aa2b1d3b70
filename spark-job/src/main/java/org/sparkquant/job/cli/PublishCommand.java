package org.sparkquant.job.cli;

import java.util.concurrent.Callable;
import org.sparkquant.job.pipeline.PublishPipeline;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sparkquant publish}: points a {@code latest} file at a complete output. */
@Command(
    name = "publish",
    mixinStandardHelpOptions = true,
    description = {
      "Points PATH (a small text file holding DIR's full URI) at the complete output DIR, replacing the old pointer",
      "in one step; refuses when DIR has no _SUCCESS. For pipelines that write dated outputs and publish the newest."
    })
public final class PublishCommand implements Callable<Integer> {
  @CommandLine.Mixin VerboseOption verbose;

  @Option(names = "--output", required = true, paramLabel = "DIR", description = "A complete output directory.")
  String output;

  @Option(names = "--latest", required = true, paramLabel = "PATH", description = "The pointer file to write.")
  String latest;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    String target = PublishPipeline.run(output, latest);
    spec.commandLine().getOut().printf("%s -> %s%n", latest, target);
    return 0;
  }
}
