package org.sparkquant.io.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparkquant.core.numerics.QuantType;
import org.sparkquant.core.numerics.Scheme;
import org.sparkquant.core.quantizer.LayerRule;
import org.sparkquant.core.quantizer.QuantizerConfig;
import org.sparkquant.core.quantizer.WeightSpec;

class QuantizerConfigFilesTest {

  @Test
  void yamlRoundTripsToAnEqualConfig() {
    QuantizerConfig config = QuantizerConfig.preset("w4g32")
        .withMode(QuantizerConfig.ExecutionMode.EAGER)
        .withRules(List.of(
            LayerRule.skip(LayerRule.Match.REGEX, "/pooler/.*"),
            new LayerRule(LayerRule.Match.OP_TYPE, "Gemm",
                new WeightSpec(QuantType.INT8, Scheme.SYMMETRIC_RESTRICTED, WeightSpec.Layout.PER_CHANNEL, 0))));
    String yaml = QuantizerConfigFiles.toYaml(config);
    assertEquals(config, QuantizerConfigFiles.parse(yaml, "test"));
  }

  @Test
  void activationSpecsRoundTripAndCanBeSwitchedOff() {
    QuantizerConfig c = QuantizerConfigFiles.parse(
        "version: 1\npreset: w8a8\nactivations: {observer: percentile, percentile: 99.99}\n", "test");
    assertEquals(org.sparkquant.core.quantizer.ActivationSpec.ObserverKind.PERCENTILE, c.activations().observer());
    assertEquals(QuantType.UINT8, c.activations().type());
    assertEquals(Scheme.ASYMMETRIC, c.activations().scheme());
    assertEquals(c, QuantizerConfigFiles.parse(QuantizerConfigFiles.toYaml(c), "round trip"));
    assertEquals(org.sparkquant.core.observer.NonFinitePolicy.ERROR, c.activations().nonFinite());
    QuantizerConfig skip = QuantizerConfigFiles.parse(
        "version: 1\npreset: w8a8\nactivations: {non_finite: skip}\n", "test");
    assertEquals(org.sparkquant.core.observer.NonFinitePolicy.SKIP, skip.activations().nonFinite());
    assertEquals(skip, QuantizerConfigFiles.parse(QuantizerConfigFiles.toYaml(skip), "round trip"));
    QuantizerConfig off = QuantizerConfigFiles.parse("version: 1\npreset: w8a8\nactivations: none\n", "test");
    assertEquals(null, off.activations());
    assertEquals(off, QuantizerConfigFiles.parse(QuantizerConfigFiles.toYaml(off), "round trip"));
  }

  @Test
  void jsonIsReadToo(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("c.json");
    Files.writeString(f, "{\"version\": 1, \"preset\": \"fp8\", \"rules\": [{\"match\": \"name\", \"pattern\": \"a\","
        + " \"action\": \"skip\"}]}");
    QuantizerConfig c = QuantizerConfigFiles.read(f);
    assertEquals(QuantType.FP8_E4M3FN, c.weights().type());
    assertTrue(c.rules().get(0).skips());
  }

  @Test
  void keysOverrideThePreset() {
    QuantizerConfig c = QuantizerConfigFiles.parse(
        "version: 1\npreset: w4g32\nweights: {block_size: 128}\n", "test");
    assertEquals(128, c.weights().blockSize());
    assertEquals(QuantType.INT4, c.weights().type());
  }

  static Stream<Arguments> invalidConfigs() {
    return Stream.of(
        Arguments.of("version: 1\npreset: w8\nrulez: []", "unknown key 'rulez'"),
        Arguments.of("version: 1\npreset: w8\nweights: {typ: INT8}", "unknown key 'weights.typ'"),
        Arguments.of("version: 1\npreset: w8\nrules: [{match: name, pattern: a, action: skip, extra: 1}]", "unknown key 'rules[0].extra'"),
        Arguments.of("version: 2\npreset: w8", "'version' must be 1"),
        Arguments.of("preset: w8", "'version' must be 1"),
        Arguments.of("version: 1\npreset: w9", "unknown preset 'w9'"),
        Arguments.of("version: 1\npreset: w8\nmode: lazy", "'mode' is 'lazy'; expected one of [graph, eager]"),
        Arguments.of("version: 1\npreset: w8\nweights: {type: INT3}", "'weights.type' is 'INT3'"),
        Arguments.of("version: 1\npreset: w8\nweights: {layout: PER_BLOCK, block_size: 0}", "positive block size"),
        Arguments.of("version: 1\npreset: fp8\nweights: {scheme: ASYMMETRIC}", "must be symmetric"),
        Arguments.of("version: 1\npreset: w8\nrules: [{match: regex, pattern: a}]", "an override rule needs 'weights'"),
        Arguments.of("version: 1\npreset: w8\nrules: [{match: name, pattern: a, action: drop}]", "'action' must be skip or override"),
        Arguments.of("version: 1\npreset: w8\nrules: {match: name}", "'rules' must be a list"),
        Arguments.of("- just\n- a list", "expected a mapping at the top level"),
        Arguments.of("version: 1\npreset: [w8", "not valid YAML/JSON"),
        Arguments.of("version: 1\npreset: w8a8\nactivations: {obs: mse}", "unknown key 'activations.obs'"),
        Arguments.of("version: 1\npreset: w8a8\nactivations: {observer: kl}", "'activations.observer' is 'kl'"),
        Arguments.of("version: 1\npreset: w8a8\nactivations: {observer: percentile, percentile: 20}",
            "percentile must be in (50, 100]"),
        Arguments.of("version: 1\npreset: w8a8\nactivations: {non_finite: ignore}",
            "'activations.non_finite' is 'ignore'; expected one of [error, skip, clip]"));
  }

  @ParameterizedTest
  @MethodSource("invalidConfigs")
  void invalidConfigsNameTheKeyAndWhatWasExpected(String yaml, String expected) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> QuantizerConfigFiles.parse(yaml, "config 'c.yaml'"));
    assertTrue(e.getMessage().startsWith("config 'c.yaml'"), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
