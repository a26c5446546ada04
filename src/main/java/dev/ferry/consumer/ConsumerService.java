package dev.ferry.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;

import dev.ferry.DaemonThreads;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.StartupOrder;
import dev.ferry.kafka.Channels;
import dev.ferry.kafka.KafkaRefusal;
import dev.ferry.kafka.TopicProvisioner;
import dev.ferry.receipt.KafkaReceipts;
import dev.ferry.route.RouteReconciler;
import dev.ferry.route.RouteTable;
import dev.ferry.transfer.TransferBoard;
import dev.ferry.transfer.TransferMetrics;
import dev.ferry.trust.KeyRing;

/**
 * The consumer role's state: builds the {@link Assembler} before the messaging channels start, so the first record
 * finds it ready, and syncs it on shutdown.
 * <p>
 * Where data lives: staged chunks in {@code <outbox>/.ferry/staging/<instance-id>/} (the outbox's file system, so
 * delivery is an atomic rename; per instance, so instances sharing an outbox never collide), quarantined files in
 * {@code <outbox>/.ferry/quarantine/}, the journal in {@code <state-dir>}, and what was delivered in the receipts topic
 * (not on the volume, so a lost state volume cannot cause a second delivery).
 */
@ApplicationScoped
public class ConsumerService {

    /** How long a complete file waits for others to share its fsyncs. */
    static final Duration BATCH_WINDOW = Duration.ofMillis(10);

    /** Idle time after which an unfinished transfer is reported as stalled. */
    static final long STALL_NANOS = TimeUnit.MINUTES.toNanos(5);

    /** The least the lanes may hold ({@link #lanesBudget}). */
    private static final int LANES_MIN_BYTES = 4 << 20;

    /** How often the delivery thread looks for a batch that is due. */
    private static final long DELIVERY_CHECK_MILLIS = 2;

    private static final Logger LOG = Logger.getLogger(ConsumerService.class);

    @Inject
    FerryConfig config;

    @Inject
    TransferMetrics metrics;

    @Inject
    RouteTable routeTable;

    @Inject
    TransferBoard board;

    @Inject
    TopicProvisioner topics;

    @Inject
    KafkaClientService kafkaClients;

    @Inject
    KeyRing keys;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private final KafkaRefusal.Reporter refusal = new KafkaRefusal.Reporter(LOG, "reading receipts");
    private final FailureReceipts failures = new FailureReceipts();
    private final StorageStatus storage = new StorageStatus();
    /** One assembler per route, made at start-up and kept in line with the routes by {@link #routes}. */
    private RouteAssemblers assemblers;
    private RouteReconciler<RouteAssemblers.RouteAssembler> routes;
    private volatile boolean running;
    private volatile boolean stopping;
    private KafkaReceipts receipts;
    private DeadLetters deadLetters;
    private ScheduledExecutorService housekeeping;
    /** Delivers batches of complete files, so staging never waits for their fsyncs and receipts. */
    private ScheduledExecutorService delivering;
    private PartitionLanes lanes;
    private long lastStallCheck;

    void start(@Observes @Priority(StartupOrder.CONSUMER_STATE) StartupEvent event) throws IOException {
        if (!config.requiredRole().consumes()) {
            return;
        }
        Path stateDir = config.requiredStateDir();
        Files.createDirectories(stateDir);
        String instance = config.instance();
        receipts = new KafkaReceipts(kafkaConfig, config.topics().receiptsTopicName(), "ferry-consumer-" + instance,
                true, id -> false, config.kafkaStartupTimeout()).signedWith(keys, metrics::receiptRejected);
        // Every receipt must be known before the first record is judged: it is what stops a second delivery.
        receipts.refresh();
        deadLetters = new DeadLetters(kafkaConfig, config.topics().deadLetterTopicName(), topics.deadLetterMaxBytes(),
                "ferry-consumer-" + instance + "-dead-letters", config.kafkaStartupTimeout());
        assemblers = new RouteAssemblers(config, topics, keys, board, receipts, failures, BATCH_WINDOW,
                this::readAgain);
        routes = new RouteReconciler<>(assemblers);
        metrics.watchConsumerCapacity(this::unfinishedTransfers, config.consumer().maxUnfinishedTransfers(),
                this::refusedForCapacity);
        board.capacity(() -> new TransferBoard.Capacity(unfinishedTransfers(),
                config.consumer().maxUnfinishedTransfers(), refusedForCapacity()));
        routes.follow(routeTable, "ferry-consumer-routes");
        int threads = config.consumer().resolvedConsumerThreads();
        lanes = new PartitionLanes(threads,
                lanesBudget(threads, WireFormat.maxRecordBytes(config.topics().chunkBytes())));
        delivering = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-consumer-delivery"));
        delivering.scheduleWithFixedDelay(this::deliverIfDue, DELIVERY_CHECK_MILLIS, DELIVERY_CHECK_MILLIS,
                TimeUnit.MILLISECONDS);
        running = true;
        housekeeping = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-consumer-housekeeping"));
        long period = config.consumer().syncInterval().toMillis();
        // Staged chunks are also synced when no record arrives, e.g. while a producer is paused mid-file.
        housekeeping.scheduleWithFixedDelay(this::housekeep, period, period, TimeUnit.MILLISECONDS);
        LOG.infof("Consumer: group %s, instance %s, state in %s, %d receipts in %s, %d threads",
                config.consumer().groupId().orElseThrow(), instance, stateDir, receipts.size(),
                config.topics().receiptsTopicName(), lanes.threads());
    }

    /** Seeks the partitions of {@code topic} whose records UnroutedRecords kept out back to their committed offsets. */
    private void readAgain(String topic) {
        Set<TopicPartition> held = UnroutedRecords.takeHeld(topic);
        if (held.isEmpty() || !running) {
            return;
        }
        kafkaClients.getConsumer(Channels.CHUNKS_IN).runOnPollingThread(c -> {
            Set<TopicPartition> mine = new HashSet<>(held);
            mine.retainAll(c.assignment());
            var committed = c.committed(mine);
            for (var tp : mine) {
                var offset = committed.get(tp);
                if (offset == null) {
                    c.seekToBeginning(List.of(tp));
                } else {
                    c.seek(tp, offset.offset());
                }
            }
            LOG.infof("Topic %s is routed now: reading %s again from their committed offsets", topic, mine);
            return null;
        }).subscribe().with(x -> {
        }, e -> LOG.errorf("Cannot read topic %s again: %s; it is read at the next rebalance or restart", topic,
                e.getMessage()));
    }

    /** Every assembler, routed or retired. */
    private List<Assembler> assemblers() {
        return assemblers.all();
    }

    /** The assembler for a record of {@code topic}: its route's, or a retired one's for a record already on its way. */
    Optional<Assembler> assemblerFor(String topic) {
        return assemblers.forTopic(topic);
    }

    void assign(Collection<TopicPartition> partitions) {
        assemblers.assign(partitions);
    }

    void revoke(Collection<TopicPartition> partitions) {
        assemblers.revoke(partitions);
    }

    /** Delivers what is complete while the connector can still commit the released offsets on close. */
    void drain(@Observes @Priority(StartupOrder.DRAIN_CONSUMER) ShutdownEvent event) throws IOException {
        if (running) {
            stopping = true;
            housekeeping.shutdownNow();
            assemblers().forEach(Assembler::stopTaking);
            lanes.close(); // records being staged finish; the rest is read again after the restart
            delivering.shutdown(); // not interrupted: an interrupted fsync would close the staging file
            try {
                delivering.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            routes.close();
            for (Assembler a : assemblers()) {
                try {
                    a.flush();
                    a.sync();
                } catch (IOException e) {
                    // Nothing is lost: what is not delivered is not acknowledged, and is read again after the restart.
                    LOG.errorf("Delivering at shutdown failed, left for the restart: %s", e.getMessage());
                }
            }
        }
    }

    void stop(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) ShutdownEvent event) throws IOException {
        if (running) {
            try {
                for (Assembler a : assemblers()) {
                    a.close();
                }
            } finally {
                receipts.close();
                deadLetters.close();
            }
        }
    }

    private void housekeep() {
        try {
            for (Assembler a : assemblers()) {
                a.syncIfDue();
            }
            long now = System.nanoTime();
            if (now - lastStallCheck >= 1_000_000_000L) {
                lastStallCheck = now;
                refreshReceipts();
                for (Assembler a : assemblers()) {
                    a.warnStalled(STALL_NANOS);
                    a.expireIncomplete(config.consumer().incompleteTtl());
                    a.dropFinishedElsewhere();
                    a.sweepQuarantine();
                }
                writeFailureReceipts();
            }
        } catch (IOException e) {
            // Staged chunks stay unjournaled and are written again after a restart; nothing is lost.
            storage.failed(StorageStatus.Area.STAGING, "Syncing staged chunks failed", e);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Consumer housekeeping failed");
        }
    }

    /** Failed receipts queued by the assemblers; a failed write leaves them queued for the next second. */
    private void writeFailureReceipts() {
        try {
            failures.flush(receipts);
        } catch (IOException e) {
            LOG.warnf("Writing %d failed receipts failed (retrying in a second): %s", failures.pending(),
                    e.getMessage());
        }
    }

    DeadLetters deadLetters() {
        return deadLetters;
    }

    void deadLettered(String source, String key, String category, String reason) {
        metrics.deadLettered(category);
        board.deadLettered(source, key, category, reason);
    }

    private int unfinishedTransfers() {
        return assemblers().stream().mapToInt(Assembler::unfinishedTransfers).sum();
    }

    private long refusedForCapacity() {
        return assemblers().stream().mapToLong(Assembler::refusedForCapacity).sum();
    }

    /** Other instances' receipts, so their chunks read again are skipped early; delivery refreshes when it must. */
    private void refreshReceipts() {
        try {
            receipts.refresh();
            refusal.succeeded();
        } catch (IOException e) {
            if (!refusal.failed(e)) {
                LOG.warnf("Reading receipts failed (retrying in a second): %s", e.getMessage());
            }
        }
    }

    /** Delivers the complete files whose batch is due; after a failure, not before the retry pause is over. */
    private void deliverIfDue() {
        if (storage.retryDelayNanos(StorageStatus.Area.DELIVERY) > 0) {
            return;
        }
        try {
            for (Assembler a : assemblers()) {
                a.flushIfDue();
            }
            storage.succeeded(StorageStatus.Area.DELIVERY);
        } catch (IOException e) {
            storage.failed(StorageStatus.Area.DELIVERY, "Delivering complete files failed", e);
        } catch (RuntimeException e) {
            // A defect: logged, and the next check tries again (an exception would end the scheduled task for good).
            LOG.errorf(e, "Delivering complete files failed");
        }
    }

    /**
     * Waits out the retry pause of a failing area.
     *
     * @return false if the consumer is stopping (give up; the record is read again after the restart)
     */
    boolean awaitRetry(StorageStatus.Area area) {
        long deadline = System.nanoTime() + storage.retryDelayNanos(area);
        while (System.nanoTime() < deadline) {
            if (stopping) {
                return false;
            }
            try {
                Thread.sleep(Math.min(50, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return !stopping;
    }

    /** True once the consumer role has started in this process. */
    public boolean isRunning() {
        return running;
    }

    /** Why the consumer cannot write now (readiness is down meanwhile), if it cannot. */
    public Optional<String> storageProblem() {
        return storage.problem();
    }

    StorageStatus storage() {
        return storage;
    }

    PartitionLanes lanes() {
        return lanes;
    }

    /**
     * Record bytes the lanes may hold: two records per thread, so no thread waits for work, at least 4 MiB and at most
     * {@link ChunksInSettings#POLL_BYTES}. No more than that: records queued in the lanes come on top of the
     * connector's own queue and live until staged, and the consumer's heap should not grow with the thread count.
     */
    static int lanesBudget(int threads, int maxRecord) {
        long twoEach = 2L * threads * maxRecord;
        return (int) Math.max(maxRecord, Math.min(ChunksInSettings.POLL_BYTES, Math.max(LANES_MIN_BYTES, twoEach)));
    }
}
