package dev.ferry.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.ferry.config.Derived;
import dev.ferry.config.FerryConfig;
import dev.ferry.kafka.KafkaRefusal;
import dev.ferry.kafka.StartupOrder;
import dev.ferry.receipt.KafkaReceipts;

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

    private static final Logger LOG = Logger.getLogger(ConsumerService.class);
    private final KafkaRefusal.Reporter refusal = new KafkaRefusal.Reporter(LOG, "reading receipts");

    @Inject
    FerryConfig config;

    /** How long a complete file waits for others to share its fsyncs; also the housekeeping period. */
    static final java.time.Duration BATCH_WINDOW = java.time.Duration.ofMillis(10);

    /** Idle time after which an unfinished transfer is reported as stalled. */
    static final long STALL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(5);

    private volatile Assembler assembler;
    private KafkaReceipts receipts;
    private final StorageStatus storage = new StorageStatus();

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;
    private java.util.concurrent.ScheduledExecutorService housekeeping;
    private long lastStallCheck;
    private volatile boolean stopping;

    void start(@Observes @Priority(StartupOrder.CONSUMER_STATE) StartupEvent event) throws IOException {
        if (!Derived.role(config).consumes()) {
            return;
        }
        Path outbox = config.outbox().orElseThrow().toAbsolutePath().normalize();
        Path ferryDir = outbox.resolve(OutboxPaths.FERRY_DIR);
        Path stateDir = Derived.stateDir(config);
        Files.createDirectories(outbox);
        Files.createDirectories(stateDir);
        String instance = Derived.instanceId(config);
        receipts = new KafkaReceipts(kafkaConfig, Derived.receiptsTopic(config), "ferry-consumer-" + instance, true,
                id -> true, config.kafkaStartupTimeout());
        // Every receipt must be known before the first record is judged: it is what stops a second delivery.
        receipts.refresh();
        assembler = new Assembler(ferryDir.resolve("staging").resolve(instance), ferryDir.resolve("quarantine"),
                new Journal(stateDir.resolve("assemblies")), new Deliverer(outbox, config.onConflict()), receipts,
                instance, config.syncInterval().toNanos(), BATCH_WINDOW.toNanos());
        housekeeping = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ferry-consumer-housekeeping");
            t.setDaemon(true);
            return t;
        });
        long period = config.syncInterval().toMillis();
        // Staged chunks are also synced when no record arrives, e.g. while a producer is paused mid-file.
        housekeeping.scheduleWithFixedDelay(this::housekeep, period, period,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        LOG.infof(
                "Consumer delivering to %s: topic %s, group %s, instance %s, state in %s, %d transfers resumed, "
                        + "%d receipts in %s",
                outbox, config.topic(), config.groupId().orElseThrow(), instance, stateDir, assembler.inProgress(),
                receipts.size(), Derived.receiptsTopic(config));
    }

    /** Delivers what is complete while the connector can still commit the released offsets on close. */
    void drain(@Observes @Priority(StartupOrder.DRAIN_CONSUMER) ShutdownEvent event) throws IOException {
        if (assembler != null) {
            stopping = true;
            housekeeping.shutdownNow();
            try {
                assembler.flush();
                assembler.sync();
            } catch (IOException e) {
                // Nothing is lost: what is not delivered is not acknowledged, and is read again after the restart.
                LOG.errorf("Delivering at shutdown failed, left for the restart: %s", e.getMessage());
            }
        }
    }

    void stop(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) ShutdownEvent event) throws IOException {
        if (assembler != null) {
            try {
                assembler.close();
            } finally {
                receipts.close();
            }
        }
    }

    private void housekeep() {
        deliverIfDue();
        try {
            assembler.syncIfDue();
            long now = System.nanoTime();
            if (now - lastStallCheck >= 1_000_000_000L) {
                lastStallCheck = now;
                refreshReceipts();
                assembler.warnStalled(STALL_NANOS);
                assembler.expireIncomplete(config.incompleteTtl());
            }
        } catch (IOException e) {
            // Staged chunks stay unjournaled and are written again after a restart; nothing is lost.
            storage.failed(StorageStatus.Area.STAGING, "Syncing staged chunks failed", e);
        } catch (RuntimeException e) {
            LOG.errorf(e, "Consumer housekeeping failed");
        }
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
            assembler.flushIfDue();
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

    boolean running() {
        return assembler != null;
    }

    StorageStatus storage() {
        return storage;
    }

    Assembler assembler() {
        Assembler a = assembler;
        if (a == null) {
            throw new IllegalStateException("The consumer role is not running (ferry.role=" + config.role() + ")");
        }
        return a;
    }
}
