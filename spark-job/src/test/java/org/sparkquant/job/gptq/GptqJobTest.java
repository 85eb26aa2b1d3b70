package org.sparkquant.job.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparkquant.core.exec.DjlExecutor;
import org.sparkquant.core.gptq.GptqLayers;
import org.sparkquant.core.gptq.GptqOptions;
import org.sparkquant.core.gptq.GptqQuantizer;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.data.BatchEncoder;
import org.sparkquant.io.data.DataConfig;
import org.sparkquant.io.data.DataFormat;
import org.sparkquant.io.data.DataFormats;
import org.sparkquant.io.data.ModelFit;
import org.sparkquant.io.data.TokenizerFiles;
import org.sparkquant.io.onnx.OnnxModelReader;
import org.sparkquant.io.onnx.OnnxModelWriter;
import org.sparkquant.io.onnx.TestModels;
import org.sparkquant.job.spark.EngineThreads;
import org.sparkquant.job.samples.PlacedSamples;
import org.sparkquant.job.samples.SampleSource;
import org.sparkquant.job.spark.SparkContexts;

/**
 * The distributed GPTQ job against GPTQ in one process on the same batches: MiniLM's first transformer layer (four
 * groups: q/k/v, attention output, fc1, fc2), 20 sentences in batches of 4. The Hessians are sums along one fixed
 * tree over the batches wherever the batches run, so every layer's result is bitwise the in-process one.
 */
class GptqJobTest {
  private static final String CONFIG = "version: 1\npreset: w4g32\nrules:\n"
      + "  - {match: regex, pattern: '^(?!/encoder/layer\\.0/).*', action: skip}\n";

  @Test
  void hessiansAndLayersAreThoseOfOneProcessForAnyPartitioning(@TempDir Path dir) throws Exception {
    List<String> sentences = Files.readAllLines(Path.of("..", "data", "sentences", "calibration.txt")).subList(0, 20);
    Path data = Files.write(dir.resolve("sentences.txt"), sentences, StandardCharsets.UTF_8);
    Graph graph = new OnnxModelReader().read(TestModels.path(TestModels.MINILM));
    byte[] tokenizer = TokenizerFiles.read(TestModels.path(TestModels.MINILM_TOKENIZER));
    DataConfig dataConfig = ModelFit.bind(DataConfig.defaults(DataFormat.TEXT), graph.inputs());
    QuantizerConfig config = QuantizerConfigFiles.parse(CONFIG, "test");
    GptqLayers layers = GptqLayers.of(graph, config);
    assertEquals(4, layers.groups().size());

    EngineThreads.fixTo(1);
    List<GptqQuantizer.Batch> batches = new ArrayList<>();
    GptqQuantizer reference;
    try (NDManager nd = NDManager.newBaseManager(ai.djl.Device.cpu(), DjlExecutor.ENGINE);
        BatchEncoder encoder = DataFormats.newEncoder(dataConfig, tokenizer)) {
      for (int b = 0; b < sentences.size(); b += 4) {
        List<byte[]> batch = sentences.subList(b, b + 4).stream()
            .map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        PlacedSamples.Inputs in = PlacedSamples.encode(encoder, batch, nd);
        batches.add(new GptqQuantizer.Batch(in.inputs(), in.mask()));
      }
      reference = GptqQuantizer.run(layers, GptqOptions.defaults(), batches);
    }

    byte[] model = new OnnxModelWriter().toBytes(graph);
    for (int partitions : new int[] {1, 3}) {
      try (JavaSparkContext sc = SparkContexts.start("local[2]", "gptq job test")) {
        SampleSource source = new SampleSource(dataConfig, tokenizer, List.of(data.toUri().toString()), 4, 0, 0,
            partitions);
        GptqJob.Result r = GptqJob.run(sc, model, new GptqJob.Spec(config, GptqOptions.defaults(), source),
            new PrintWriter(new StringWriter()));
        assertEquals(Math.min(partitions, 5), r.plan().partitionCount());
        List<GptqQuantizer.LayerResult> expected = reference.results();
        List<GptqQuantizer.LayerResult> actual = r.quantizer().results();
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
          GptqQuantizer.LayerResult e = expected.get(i);
          GptqQuantizer.LayerResult a = actual.get(i);
          assertEquals(e.weight(), a.weight());
          assertEquals(e.hessianRows(), a.hessianRows(), e.weight());
          assertEquals(Double.doubleToRawLongBits(e.loss()), Double.doubleToRawLongBits(a.loss()),
              e.weight() + ": loss " + e.loss() + " vs " + a.loss());
          assertArrayEquals(reference.solvedWeights().get(e.weight()), r.quantizer().solvedWeights().get(e.weight()),
              e.weight());
        }
      }
    }
  }
}
