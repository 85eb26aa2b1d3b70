package org.sparkquant.job.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchPlanTest {
  @Test
  void partitionsHoldContiguousRunsOfWholeBatches() {
    for (int parts : new int[] {1, 2, 3, 7, 100}) {
      BatchPlan plan = new BatchPlan(103, 10, parts);
      assertEquals(11, plan.batches());
      int previous = 0;
      long total = 0;
      for (long s = 0; s < plan.samples(); s++) {
        int p = plan.partitionOfBatch(plan.batchOf(s));
        assertTrue(p == previous || p == previous + 1, "partitions advance in order");
        previous = p;
      }
      for (int p = 0; p < plan.partitionCount(); p++) {
        assertTrue(plan.batchesIn(p) >= 1);
        total += plan.batchesIn(p);
      }
      assertEquals(plan.batches(), total);
      assertEquals(Math.min(parts, 11), plan.partitionCount());
    }
  }

  @Test
  void batchContentDoesNotDependOnThePartitionCount() {
    BatchPlan two = new BatchPlan(50, 8, 2);
    BatchPlan five = new BatchPlan(50, 8, 5);
    for (long s = 0; s < 50; s++) {
      assertEquals(two.batchOf(s), five.batchOf(s));
    }
  }

  @Test
  void sampleHashesDependOnContentAndSeedOnly() {
    byte[] a = "the same sentence".getBytes(StandardCharsets.UTF_8);
    assertEquals(SampleKey.of(7, 0, 0, a).hash(), SampleKey.of(7, 3, 99, a).hash());
    assertNotEquals(SampleKey.of(7, 0, 0, a).hash(), SampleKey.of(8, 0, 0, a).hash());
  }

  @Test
  void hashOrderIsAStableShuffleWithTiesByPosition() {
    List<SampleKey> keys = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      keys.add(SampleKey.of(1, i % 3, i, ("line " + i % 90).getBytes(StandardCharsets.UTF_8)));
    }
    List<SampleKey> shuffled = new ArrayList<>(keys);
    Collections.shuffle(shuffled, new java.util.Random(5));
    Collections.sort(keys);
    Collections.sort(shuffled);
    assertEquals(keys, shuffled);
  }
}
