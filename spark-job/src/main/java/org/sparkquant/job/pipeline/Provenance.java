package org.sparkquant.job.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.sparkquant.core.graph.Graph;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.io.config.QuantizerConfigFiles;
import org.sparkquant.io.fs.FileStore;

/**
 * What produced an output: SparkQuant's version, the preset, mode and config, the source model and its hash, and for
 * data jobs the data, its content hash, the sample choice and the Spark application. The report's
 * {@code provenance} section; the model's {@code sparkquant.*} metadata is written from it. Absent parts are left
 * out of the JSON form.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Provenance(String sparkquant, String preset, String mode, Boolean matmulNbits, String config,
    String model, String modelSha256, String data, Integer dataFiles, String dataHash, Integer batchSize,
    Long maxSamples, Long seed, String sparkApplicationId, String fingerprint, String checkpoints) {

  /** The version recorded in outputs. */
  public static final String VERSION = "0.1.0";

  /** The provenance of a model-only output: the config is recorded when it came from a file. */
  static Provenance of(ModelRequest request, QuantizerConfig config, boolean matmulNbits, String modelSha256) {
    return new Provenance(VERSION, config.preset(), modeName(config), matmulNbits,
        request.configFile() != null ? QuantizerConfigFiles.toYaml(config) : null, request.model(), modelSha256,
        null, null, null, null, null, null, null, null, null);
  }

  /** The provenance of a data job's output. */
  static Provenance of(ModelRequest model, DataRequest data, QuantizerConfig config, String modelSha256,
      String dataHash, int files, String applicationId) {
    return new Provenance(VERSION, config.preset(), modeName(config), null, QuantizerConfigFiles.toYaml(config),
        model.model(), modelSha256, data.data(), files, dataHash, data.batchSize(), data.maxSamples(),
        data.seed(), applicationId, null, null);
  }

  /** This provenance with a training run's fingerprint and where its checkpoints are. */
  Provenance withTraining(String runFingerprint, String checkpointLocation) {
    return new Provenance(sparkquant, preset, mode, matmulNbits, config, model, modelSha256, data, dataFiles, dataHash,
        batchSize, maxSamples, seed, sparkApplicationId, runFingerprint, checkpointLocation);
  }

  /**
   * {@code exported} with this provenance and {@code quantizerConfig} in its metadata ({@code sparkquant.version}, {@code .preset},
   * {@code .mode}, {@code .source_sha256}, for data jobs {@code .data}, {@code .data_hash} and {@code .samples}, then
   * {@code .config}); a key the model already has keeps its place.
   */
  Graph.Builder writeTo(Graph exported, QuantizerConfig quantizerConfig, Long samples) {
    Graph.Builder b = exported.toBuilder();
    put(b, exported, "sparkquant.version", sparkquant);
    put(b, exported, "sparkquant.preset", preset);
    put(b, exported, "sparkquant.mode", mode);
    put(b, exported, "sparkquant.source_sha256", modelSha256);
    if (data != null) {
      put(b, exported, "sparkquant.data", data);
      put(b, exported, "sparkquant.data_hash", dataHash);
      put(b, exported, "sparkquant.samples", Long.toString(samples));
    }
    return b.metadata("sparkquant.config", QuantizerConfigFiles.toYaml(quantizerConfig));
  }

  private static void put(Graph.Builder b, Graph g, String key, String value) {
    if (!value.equals(g.metadata().get(key))) {
      b.metadata(key, value);
    }
  }

  static String modeName(QuantizerConfig config) {
    return config.mode().name().toLowerCase(Locale.ROOT);
  }

  /** The SHA-256 of the file at {@code location}, in hex. */
  static String sha256(FileStore store, String location) throws IOException {
    try (InputStream in = new DigestInputStream(store.open(store.path(location), "model file"),
        MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
