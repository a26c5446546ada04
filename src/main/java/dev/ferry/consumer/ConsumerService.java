package dev.ferry.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
import dev.ferry.config.FerryConfig;
import dev.ferry.config.StartupOrder;
import dev.ferry.kafka.Channels;
import dev.ferry.kafka.KafkaRefusal;
import dev.ferry.kafka.TopicProvisioner;
import dev.ferry.receipt.KafkaReceipts;
import dev.ferry.route.Route;
import dev.ferry.route.RouteReconciler;
import dev.ferry.route.RouteTable;
import dev.ferry.transfer.Side;
import dev.ferry.transfer.TransferBoard;
import dev.ferry.transfer.TransferMetrics;
import dev.ferry.transfer.TransferState;

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

    /** How long a complete file waits for others to share its fsyncs; also the housekeeping period. */
    static final Duration BATCH_WINDOW = Duration.ofMillis(10);

    /** Idle time after which an unfinished transfer is reported as stalled. */
    static final long STALL_NANOS = TimeUnit.MINUTES.toNanos(5);

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
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private final KafkaRefusal.Reporter refusal = new KafkaRefusal.Reporter(LOG, "reading receipts");
    private final RouteReconciler<RouteAssembler> routes = new RouteReconciler<>(new AssemblerPerRoute());
    /** The assembler of each routed topic, for the records that arrive. */
    private final Map<String, RouteAssembler> active = new ConcurrentHashMap<>();
    /**
     * Assemblers of routes that were removed or changed: kept open, never fed new records (UnroutedRecords filters
     * their topic), still delivering what they completed; reused if the same route comes back.
     */
    private final Map<String, RouteAssembler> retired = new ConcurrentHashMap<>();
    private final Set<TopicPartition> assigned = ConcurrentHashMap.newKeySet();
    private final FailureReceipts failures = new FailureReceipts();
    private final StorageStatus storage = new StorageStatus();
    private volatile boolean running;
    private volatile boolean stopping;
    private KafkaReceipts receipts;
    private DeadLetters deadLetters;
    private ScheduledExecutorService housekeeping;
    private long lastStallCheck;

    /** One route's assembler and where it delivers. */
    record RouteAssembler(Route route, String key, Assembler assembler) {
    }

    void start(@Observes @Priority(StartupOrder.CONSUMER_STATE) StartupEvent event) throws IOException {
        if (!config.requiredRole().consumes()) {
            return;
        }
        Path stateDir = config.requiredStateDir();
        Files.createDirectories(stateDir);
        String instance = config.instance();
        receipts = new KafkaReceipts(kafkaConfig, config.topics().receiptsTopicName(), "ferry-consumer-" + instance,
                true, id -> false, config.kafkaStartupTimeout());
        // Every receipt must be known before the first record is judged: it is what stops a second delivery.
        receipts.refresh();
        deadLetters = new DeadLetters(kafkaConfig, config.topics().deadLetterTopicName(), topics.deadLetterMaxBytes(),
                "ferry-consumer-" + instance + "-dead-letters", config.kafkaStartupTimeout());
        metrics.watchConsumerCapacity(this::unfinishedTransfers, config.consumer().maxUnfinishedTransfers(),
                this::refusedForCapacity);
        board.capacity(() -> new TransferBoard.Capacity(unfinishedTransfers(),
                config.consumer().maxUnfinishedTransfers(), refusedForCapacity()));
        routes.follow(routeTable, "ferry-consumer-routes");
        running = true;
        housekeeping = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-consumer-housekeeping"));
        long period = config.consumer().syncInterval().toMillis();
        // Staged chunks are also synced when no record arrives, e.g. while a producer is paused mid-file.
        housekeeping.scheduleWithFixedDelay(this::housekeep, period, period, TimeUnit.MILLISECONDS);
        LOG.infof("Consumer: group %s, instance %s, state in %s, %d receipts in %s",
                config.consumer().groupId().orElseThrow(), instance, stateDir, receipts.size(),
                config.topics().receiptsTopicName());
    }

    /**
     * A consumer route is an assembler delivering a topic into an outbox. A removed or changed route's assembler is
     * retired, not closed: what it holds stays staged and unacknowledged (safe), it still delivers what it completes,
     * and it is taken up again if the route comes back unchanged. A newly routed topic whose records were kept out
     * meanwhile is read again from its committed offsets.
     */
    private final class AssemblerPerRoute implements RouteReconciler.Role<RouteAssembler> {

        @Override
        public Route route(RouteAssembler running) {
            return running.route();
        }

        @Override
        public boolean unchanged(Route have, Route want) {
            return want.sameForConsumer(have);
        }

        @Override
        public RouteAssembler start(Route r) throws IOException, InterruptedException {
            String key = r.name() + "|" + r.outbox().orElseThrow();
            RouteAssembler a = retired.get(key);
            if (a == null) {
                a = new RouteAssembler(r, key, open(r));
                a.assembler().assign(assigned);
                retired.put(key, a); // until its topic is ready, so a failed start loses nothing it holds
            }
            if (!r.isDefault() || config.routesFile().isPresent()) {
                topics.ensureRouteTopic(r.topic(), r.chunkSize());
            }
            retired.remove(key);
            active.put(r.topic(), a);
            LOG.infof("Route %s: topic %s -> %s, %d transfers resumed", r.name(), r.topic(), r.outbox().orElseThrow(),
                    a.assembler().inProgress());
            return a;
        }

        @Override
        public void stop(RouteAssembler a, String why) {
            active.remove(a.route().topic());
            retired.put(a.key(), a);
            LOG.infof(
                    "Route %s (topic %s -> %s) %s: no new records are taken; %d files in progress stay staged "
                            + "and unacknowledged until it returns",
                    a.route().name(), a.route().topic(), a.route().outbox().orElseThrow(), why,
                    a.assembler().inProgress());
        }

        @Override
        public void reconciled(List<RouteAssembler> started) {
            if (config.routesFile().isPresent()) {
                UnroutedRecords.route(active.keySet());
                started.forEach(a -> readAgain(a.route().topic()));
            }
        }
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

    private Assembler open(Route r) throws IOException {
        Path outbox = r.outbox().orElseThrow().toAbsolutePath().normalize();
        Path ferryDir = outbox.resolve(OutboxPaths.FERRY_DIR);
        Files.createDirectories(outbox);
        String instance = config.instance();
        Path stateDir = config.requiredStateDir();
        // The default route keeps the places it always had, so existing state carries over. Other routes get their
        // own staging and journal, keyed by route and outbox, so a retired and a new assembler never share one.
        Path staging = r.isDefault() ? ferryDir.resolve("staging").resolve(instance)
                : ferryDir.resolve("staging-" + r.name()).resolve(instance);
        Path journal = r.isDefault() ? stateDir.resolve("assemblies")
                : stateDir.resolve("routes").resolve(r.name() + "-" + shortHash(outbox.toString()))
                        .resolve("assemblies");
        Assembler.Limits limits = new Assembler.Limits(config.maxFileSize().asLongValue(),
                config.consumer().maxUnfinishedTransfers(), Assembler.Limits.MAX_OPEN_FILES,
                config.consumer().quarantineRetention(), Assembler.Limits.EVICT_IDLE);
        Assembler assembler = new Assembler(staging, ferryDir.resolve("quarantine"), new Journal(journal),
                new Deliverer(outbox, config.consumer().onConflict()), receipts, instance,
                config.consumer().syncInterval().toNanos(), BATCH_WINDOW.toNanos(), limits, failures);
        assembler.events(new BoardEvents(board, r.name()));
        return assembler;
    }

    /** Reports a route's assemblies to the {@link TransferBoard}. */
    private record BoardEvents(TransferBoard board, String route) implements AssemblyEvents {

        @Override
        public void started(Assembly a) {
            board.started(Side.CONSUMER, a.transferId, route, a.path, a.size, a.count, a.source.partition());
        }

        @Override
        public void staged(Assembly a) {
            int chunks = a.chunksReceived();
            board.progress(Side.CONSUMER, a.transferId, chunks,
                    a.count == 0 ? 0 : Math.min(a.size, a.size * chunks / a.count));
        }

        @Override
        public void finished(Assembly a, TransferState end, String sha256, String reason, String note) {
            board.finished(Side.CONSUMER, a.transferId, end, sha256, reason, note);
        }

        @Override
        public void dropped(Assembly a) {
            board.paused(Side.CONSUMER, a.transferId);
        }

    }

    private static String shortHash(String s) {
        return Integer.toHexString(s.hashCode());
    }

    /** Every assembler, routed or retired. */
    private List<Assembler> assemblers() {
        List<Assembler> all = new ArrayList<>();
        active.values().forEach(a -> all.add(a.assembler()));
        retired.values().forEach(a -> all.add(a.assembler()));
        return all;
    }

    /** The assembler for a record of {@code topic}: its route's, or a retired one's for a record already on its way. */
    Optional<Assembler> assemblerFor(String topic) {
        RouteAssembler a = active.get(topic);
        if (a == null) {
            a = retired.values().stream().filter(r -> r.route().topic().equals(topic)).findFirst().orElse(null);
        }
        return Optional.ofNullable(a).map(RouteAssembler::assembler);
    }

    void assign(Collection<TopicPartition> partitions) {
        assigned.addAll(partitions);
        assemblers().forEach(a -> a.assign(partitions));
    }

    void revoke(Collection<TopicPartition> partitions) {
        assigned.removeAll(partitions);
        assemblers().forEach(a -> a.revoke(partitions));
    }

    /** Delivers what is complete while the connector can still commit the released offsets on close. */
    void drain(@Observes @Priority(StartupOrder.DRAIN_CONSUMER) ShutdownEvent event) throws IOException {
        if (running) {
            stopping = true;
            housekeeping.shutdownNow();
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
        deliverIfDue();
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
    void deliverIfDue() {
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
}
