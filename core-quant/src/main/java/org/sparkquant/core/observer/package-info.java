/**
 * Range observers. Each observer accumulates plain-data statistics ({@code float[]}, {@code long[]}, ...) that merge
 * associatively and commutatively, so Spark can observe shards on executors and merge on the driver; the merged
 * statistics freeze into {@link org.sparkquant.core.numerics.QuantParams}. MinMax and histogram merges are exact:
 * any sharding and any merge order give bitwise-identical statistics and parameters. The moving average is
 * order-dependent by nature and is excluded from that guarantee.
 */
package org.sparkquant.core.observer;
