package dev.ferry.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.ferry.config.Derived;
import dev.ferry.config.FerryConfig;
import dev.ferry.kafka.StartupOrder;

/**
 * The consumer role's state: builds the {@link Assembler} before the messaging channels start, so the first record
 * finds it ready, and syncs it on shutdown.
 * <p>
 * Where data lives: staged chunks in {@code <outbox>/.ferry/staging/<instance-id>/} (the outbox's file system, so
 * delivery is an atomic rename; per instance, so instances sharing an outbox never collide), quarantined files in
 * {@code <outbox>/.ferry/quarantine/}, the journal and the delivered log in {@code <state-dir>}.
 */
@ApplicationScoped
public class ConsumerService {

    private static final Logger LOG = Logger.getLogger(ConsumerService.class);

    @Inject
    FerryConfig config;

    /** How long a complete file waits for others to share its fsyncs; also the housekeeping period. */
    static final java.time.Duration BATCH_WINDOW = java.time.Duration.ofMillis(10);

    /** Idle time after which an unfinished transfer is reported as stalled. */
    static final long STALL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(5);

    private volatile Assembler assembler;
    private DeliveredLog delivered;
    private java.util.concurrent.ScheduledExecutorService housekeeping;
    private long lastStallCheck;

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
        delivered = new DeliveredLog(stateDir, config.deliveredHistory());
        assembler = new Assembler(ferryDir.resolve("staging").resolve(instance), ferryDir.resolve("quarantine"),
                new Journal(stateDir.resolve("assemblies")), new Deliverer(outbox, config.onConflict()), delivered,
                config.syncInterval().toNanos(), BATCH_WINDOW.toNanos());
        housekeeping = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ferry-consumer-housekeeping");
            t.setDaemon(true);
            return t;
        });
        long period = config.syncInterval().toMillis();
        // Staged chunks are also synced when no record arrives, e.g. while a producer is paused mid-file.
        housekeeping.scheduleWithFixedDelay(this::housekeep, period, period,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        LOG.infof("Consumer delivering to %s: topic %s, group %s, instance %s, state in %s, %d transfers resumed",
                outbox, config.topic(), config.groupId().orElseThrow(), instance, stateDir, assembler.inProgress());
    }

    /** Delivers what is complete while the connector can still commit the released offsets on close. */
    void drain(@Observes @Priority(StartupOrder.DRAIN_CONSUMER) ShutdownEvent event) throws IOException {
        if (assembler != null) {
            housekeeping.shutdownNow();
            assembler.flush();
            assembler.sync();
        }
    }

    void stop(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER) ShutdownEvent event) throws IOException {
        if (assembler != null) {
            assembler.close();
            delivered.close();
        }
    }

    private void housekeep() {
        try {
            assembler.flushIfDue();
            assembler.syncIfDue();
            long now = System.nanoTime();
            if (now - lastStallCheck >= 1_000_000_000L) {
                lastStallCheck = now;
                assembler.warnStalled(STALL_NANOS);
                assembler.expireIncomplete(config.incompleteTtl());
            }
        } catch (IOException | RuntimeException e) {
            LOG.errorf(e, "Syncing staged chunks failed");
        }
    }

    Assembler assembler() {
        Assembler a = assembler;
        if (a == null) {
            throw new IllegalStateException("The consumer role is not running (ferry.role=" + config.role() + ")");
        }
        return a;
    }
}
