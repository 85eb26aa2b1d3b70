/**
 * The driver layer: what a command asks for ({@link org.sparkquant.job.pipeline.ModelRequest},
 * {@link org.sparkquant.job.pipeline.DataRequest}), everything checked before Spark starts
 * ({@link org.sparkquant.job.pipeline.DataJobDriver}: the numbers, the config, the output path, the model, the
 * tokenizer, the data settings against the model's inputs, a trial run and the engine self-check), the pipelines
 * that run one command each ({@code QuantizePipeline}, {@code CalibratePipeline}, {@code GptqPipeline},
 * {@code QatPipeline}, {@code PublishPipeline}), their typed reports with provenance, and the output commit on any
 * Hadoop file system (a temporary directory moved into place, then {@code _SUCCESS}). Paths are read through the
 * Hadoop configuration of the job's Spark settings.
 *
 * <p>Layers of the jobs: {@code cli} parses and prints, {@code api} is the same for Java callers; {@code pipeline}
 * validates, runs a job and commits; the job packages ({@code calibrate}, {@code gptq}, {@code qat}) distribute;
 * {@code samples} chooses, places and batches samples; {@code spark} sets up Spark and the executors (contexts, Kryo,
 * engine threads, model caching, the engine self-check). A package depends only on those after it in this list.
 */
package org.sparkquant.job.pipeline;
