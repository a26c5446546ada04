package dev.ferry.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Partitions side by side, each in order, within a byte budget. */
class PartitionLanesTest {

    @Test
    void eachPartitionInOrderAndPartitionsSideBySide() throws Exception {
        int partitions = 4;
        int records = 500;
        // The first record of every partition waits for the first of all the others: it passes only if all four run
        // at the same time (with one thread, or a lock shared by the lanes, it would time out).
        CyclicBarrier together = new CyclicBarrier(partitions);
        Map<Integer, List<Integer>> seen = new ConcurrentHashMap<>();
        AtomicInteger broken = new AtomicInteger();
        try (PartitionLanes lanes = new PartitionLanes(partitions, 1 << 20)) {
            for (int i = 0; i < records; i++) {
                for (int p = 0; p < partitions; p++) {
                    int partition = p;
                    int seq = i;
                    lanes.submit(new TopicPartition("t", p), 100, () -> {
                        if (seq == 0) {
                            try {
                                together.await(10, TimeUnit.SECONDS);
                            } catch (Exception e) {
                                broken.incrementAndGet();
                            }
                        }
                        seen.computeIfAbsent(partition, x -> new ArrayList<>()).add(seq);
                    });
                }
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> seen.values().stream().mapToInt(List::size).sum() == partitions * records);
        }
        assertThat(broken).as("all partitions' first records ran at the same time").hasValue(0);
        for (int p = 0; p < partitions; p++) {
            assertThat(seen.get(p)).as("partition %d in order", p)
                    .containsExactlyElementsOf(IntStream.range(0, records).boxed().toList());
        }
    }

    @Test
    void moreBusyPartitionsThanThreadsAllGetTheirTurn() throws Exception {
        Map<Integer, AtomicInteger> done = new ConcurrentHashMap<>();
        try (PartitionLanes lanes = new PartitionLanes(2, 1 << 20)) {
            for (int i = 0; i < 200; i++) {
                for (int p = 0; p < 6; p++) {
                    int partition = p;
                    lanes.submit(new TopicPartition("t", p), 10,
                            () -> done.computeIfAbsent(partition, x -> new AtomicInteger()).incrementAndGet());
                }
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> done.values().stream().mapToInt(AtomicInteger::get).sum() == 1200);
        }
        assertThat(done).hasSize(6).allSatisfy((p, n) -> assertThat(n).hasValue(200));
    }

    @Test
    void aQuietPartitionKeepsNoLane() throws Exception {
        int partitions = 5000;
        AtomicInteger done = new AtomicInteger();
        try (PartitionLanes lanes = new PartitionLanes(2, 1 << 20)) {
            for (int round = 0; round < 3; round++) {
                for (int p = 0; p < partitions; p++) {
                    lanes.submit(new TopicPartition("topic-" + p % 50, p), 10, done::incrementAndGet);
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> done.get() == 3 * partitions);
            await().atMost(Duration.ofSeconds(5)).until(() -> lanes.lanes() == 0);
            System.out.printf("%d partitions seen, %d records run: %d lanes kept%n", partitions, done.get(),
                    lanes.lanes());
        }
    }

    @Test
    void theLanesBudgetIsTwoRecordsPerThreadWithinItsBounds() {
        int chunk = 512 << 10;
        for (int threads : new int[] { 1, 2, 4, 16, 64 }) {
            System.out.printf("%2d threads, records of 512 KiB: lanes hold at most %d KiB%n", threads,
                    ConsumerService.lanesBudget(threads, chunk) >> 10);
        }
        assertThat(ConsumerService.lanesBudget(2, chunk)).as("at least 4 MiB").isEqualTo(4 << 20);
        assertThat(ConsumerService.lanesBudget(8, chunk)).as("two records per thread").isEqualTo(8 << 20);
        assertThat(ConsumerService.lanesBudget(64, chunk)).as("at most one poll's bytes")
                .isEqualTo(ChunksInSettings.POLL_BYTES);
        assertThat(ConsumerService.lanesBudget(4, 32 << 20)).as("at least one record, however large")
                .isEqualTo(32 << 20);
    }

    @Test
    void recordsBeyondTheByteBudgetWaitToBeQueued() throws Exception {
        int budget = 1000;
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();
        try (PartitionLanes lanes = new PartitionLanes(2, budget)) {
            Runnable blocked = () -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ran.incrementAndGet();
            };
            lanes.submit(new TopicPartition("t", 0), 400, blocked);
            lanes.submit(new TopicPartition("t", 1), 400, blocked);
            Thread third = new Thread(() -> {
                try {
                    lanes.submit(new TopicPartition("t", 2), 400, blocked);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            third.start();
            await().atMost(Duration.ofSeconds(5)).until(() -> third.getState() == Thread.State.WAITING);
            System.out.printf("lanes hold %d of %d bytes; the next record of 400 waits to be queued%n",
                    lanes.queuedBytes(), budget);
            assertThat(lanes.queuedBytes()).isEqualTo(800);
            // A record heavier than the whole budget still goes, alone, once the others are done.
            release.countDown();
            third.join(5000);
            lanes.submit(new TopicPartition("t", 3), 5 * budget, ran::incrementAndGet);
            await().atMost(Duration.ofSeconds(5)).until(() -> ran.get() == 4);
            assertThat(lanes.queuedBytes()).isZero();
        }
    }
}
