/**
 * Which samples a job uses and where they run: files read on the executors, a seeded hash of each sample's content
 * chooses the samples and their global order ({@link org.sparkquant.job.samples.SampleKey}), consecutive samples form
 * batches ({@link org.sparkquant.job.samples.BatchPlan}), and each partition receives a contiguous range of batches
 * ({@link org.sparkquant.job.samples.PlacedSamples}), so results do not depend on file order or partitioning.
 */
package org.sparkquant.job.samples;
