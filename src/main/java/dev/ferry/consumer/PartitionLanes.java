package dev.ferry.consumer;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import dev.ferry.DaemonThreads;

/**
 * Runs each partition's records in order, and different partitions' records at the same time, on a fixed number of
 * threads. A partition is a lane: its records queue behind each other, and the lane takes a thread only while it has
 * work, so two busy partitions never wait for each other while a thread is free (a fixed partition-to-thread mapping
 * would let them). Order within a partition is what the safe-offset rule and the chunk checks rely on; across
 * partitions nothing is ordered, so nothing is lost by running them side by side.
 * <p>
 * Bounded in bytes, not records: {@link #submit} waits while the records queued and running weigh more than the budget,
 * so the heap holds at most the connector's own queue plus this, whatever arrives. A record heavier than the whole
 * budget still goes, alone.
 * <p>
 * A lane lives only while its partition has records queued or running: an idle lane leaves the map, so a consumer that
 * saw thousands of partitions over its life (a pattern subscription, topics coming and going, rebalances) keeps none of
 * them once they are quiet.
 */
final class PartitionLanes implements AutoCloseable {

    /** Records a lane runs before it lets a waiting lane have its thread. */
    private static final int TURN = 16;

    private static final Logger LOG = Logger.getLogger(PartitionLanes.class);

    private final ExecutorService threads;
    private final int threadCount;
    private final Map<TopicPartition, Lane> lanes = new ConcurrentHashMap<>();
    private final Semaphore budget;
    private final int budgetBytes;

    PartitionLanes(int threads, int budgetBytes) {
        this.threadCount = threads;
        this.threads = Executors.newFixedThreadPool(threads, DaemonThreads.named("ferry-consumer-lane"));
        this.budgetBytes = budgetBytes;
        this.budget = new Semaphore(budgetBytes);
    }

    int threads() {
        return threadCount;
    }

    /**
     * Queues {@code work} behind the earlier records of {@code partition}; waits while the lanes hold their budget.
     *
     * @param bytes
     *            what the record weighs on the heap (its payload)
     *
     * @throws InterruptedException
     *             while waiting for room: the record is not queued
     * @throws RejectedExecutionException
     *             the lanes are closed: the record is not queued
     */
    void submit(TopicPartition partition, int bytes, Runnable work) throws InterruptedException {
        int weight = Math.max(1, Math.min(bytes, budgetBytes));
        budget.acquire(weight);
        Runnable record = () -> {
            try {
                work.run();
            } finally {
                budget.release(weight);
            }
        };
        try {
            // A lane that has just gone idle refuses the record and leaves the map: the next one takes its place,
            // never beside it, so a partition never has two lanes running at once.
            while (!lanes.computeIfAbsent(partition, Lane::new).add(record)) {
                Thread.onSpinWait();
            }
        } catch (RuntimeException e) {
            budget.release(weight);
            throw e;
        }
    }

    /** Partitions with records queued or running now (idle lanes are not kept). */
    int lanes() {
        return lanes.size();
    }

    /** Bytes of records queued or running now. */
    int queuedBytes() {
        return budgetBytes - budget.availablePermits();
    }

    /** Lets the records queued finish (for at most 30 s); no record is taken after. */
    @Override
    public void close() {
        threads.shutdown();
        try {
            if (!threads.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warnf("Records still running after 30 s at shutdown: left unacknowledged, read again at restart");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One partition's queue: at most one of its records runs at a time, in the order they came. */
    private final class Lane {

        private final TopicPartition partition;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private boolean running;
        private boolean retired;

        Lane(TopicPartition partition) {
            this.partition = partition;
        }

        /** Queues {@code record}; false if this lane went idle and left the map (the caller takes a new one). */
        synchronized boolean add(Runnable record) {
            if (retired) {
                return false;
            }
            if (!running) {
                threads.execute(this::drain); // throws if closed: the record is not queued
                running = true;
            }
            queue.add(record);
            return true;
        }

        /**
         * Runs this lane's records, {@link #TURN} at most, then gives the thread back: to the end of the pool's queue
         * if records remain, so lanes waiting for a thread get one in turn.
         */
        private void drain() {
            for (int run = 0;; run++) {
                Runnable next;
                synchronized (this) {
                    next = run < TURN ? queue.poll() : null;
                    if (next == null) {
                        if (queue.isEmpty() || !requeue()) {
                            running = false;
                            queue.clear(); // closed: left unacknowledged, read again at restart
                            retired = true;
                            lanes.remove(partition, this);
                        }
                        return;
                    }
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "A record's handling failed outside its own checks; its lane goes on");
                }
            }
        }

        private boolean requeue() {
            try {
                threads.execute(this::drain);
                return true;
            } catch (RejectedExecutionException e) {
                return false;
            }
        }
    }
}
