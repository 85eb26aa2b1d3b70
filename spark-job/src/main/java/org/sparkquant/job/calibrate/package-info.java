/**
 * Distributed activation calibration: each partition runs the prepared model in calibration mode over the batches
 * placed on it and returns its observer statistics; the driver merges them in partition-index order. What a
 * partition returns is a pure function of its batches, so a retried task contributes exactly once, and observers that
 * merge exactly (min/max, histograms) give the same statistics for any number of partitions and any master.
 */
package org.sparkquant.job.calibrate;
