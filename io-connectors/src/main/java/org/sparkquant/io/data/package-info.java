/**
 * Calibration data: listing data files ({@link org.sparkquant.io.data.DataFiles}), reading the samples of one file as
 * raw payloads ({@link org.sparkquant.io.data.SampleReader}) and turning batches of payloads into model inputs
 * ({@link org.sparkquant.io.data.BatchEncoder}), for text, JSON lines, images, Parquet and Arrow, all through Hadoop
 * file systems. {@link org.sparkquant.io.data.DataConfig} holds the settings, {@link org.sparkquant.io.data.ModelFit}
 * checks on the driver that what the encoder produces fits the model's inputs, and each format is one
 * {@link org.sparkquant.io.data.SampleFormat} registered in {@link org.sparkquant.io.data.DataFormats}. Spark itself
 * lives elsewhere: listing runs on the driver, reading one file per task and encoding on executors.
 */
package org.sparkquant.io.data;
