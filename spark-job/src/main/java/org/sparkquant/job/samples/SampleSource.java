package org.sparkquant.job.samples;

import java.io.Serializable;
import java.util.List;
import org.sparkquant.io.data.DataConfig;

/**
 * Where a job's samples come from and how they form batches: what every data-driven job (calibration, GPTQ) shares.
 *
 * @param data how samples are read and encoded
 * @param tokenizer bytes of tokenizer.json, or null
 * @param files data files, sorted
 * @param batchSize samples per batch
 * @param maxSamples samples to use (chosen by seeded hash), or 0 for all
 * @param seed the seed of the sample choice
 * @param partitions requested partitions
 */
public record SampleSource(DataConfig data, byte[] tokenizer, List<String> files, int batchSize, long maxSamples,
    long seed, int partitions) implements Serializable {}
