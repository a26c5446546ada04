package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.ferry.config.Derived;
import dev.ferry.config.FerryConfig;
import dev.ferry.fault.FaultPoints;
import dev.ferry.kafka.KafkaRefusal;
import dev.ferry.kafka.StartupOrder;
import dev.ferry.receipt.KafkaReceipts;
import dev.ferry.receipt.Receipt;

/**
 * The producer role: watches the inbox, hands each finished file to a {@link FileSender} on one of
 * {@code ferry.files-in-flight} threads, records each attempt in the {@link Ledger}, and applies the source policy only
 * once the consumer side's receipt says the file was delivered. Starts after the topics are provisioned.
 * <p>
 * A transfer's life: attempt started (partition fixed) → chunks sent, progress recorded → all acknowledged by the
 * broker ("sent") → receipt "delivered" → source policy → done. A crash or stop mid-file resumes the attempt from its
 * last recorded progress; a failed send, a changed file or a failure receipt ends the attempt and sends the file again
 * as a new one.
 */
@ApplicationScoped
public class ProducerService {

    private static final Logger LOG = Logger.getLogger(ProducerService.class);
    private final KafkaRefusal.Reporter refusal = new KafkaRefusal.Reporter(LOG, "Looking for receipts");
    private static final long FIRST_RETRY_MILLIS = 2_000;
    private static final long MAX_RETRY_MILLIS = 60_000;

    @Inject
    FerryConfig config;

    @Inject
    ChunkPublisher publisher;

    /** How often the receipts of sent files are looked for. */
    static final long RECEIPT_POLL_MILLIS = 500;
    /** Quarantine receipts after which a file is not sent again by itself (a file that keeps failing verification). */
    static final int MAX_QUARANTINES = 3;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private final Set<String> active = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> quarantines = new ConcurrentHashMap<>();
    private KafkaReceipts receipts;
    private final Map<String, Long> retryDelays = new ConcurrentHashMap<>();
    private ExecutorService workers;
    private ScheduledExecutorService retries;
    private ScheduledExecutorService receiptPoller;
    private Ledger ledger;
    private CompletionTracker tracker;
    private InboxWatcher watcher;
    private FileSender sender;
    private SourceDisposer disposer;

    void start(@Observes @Priority(StartupOrder.PRODUCER) StartupEvent event) throws IOException {
        if (!Derived.role(config).produces()) {
            return;
        }
        Path inbox = config.inbox().orElseThrow().toAbsolutePath().normalize();
        Files.createDirectories(inbox);
        int chunkSize = Derived.chunkSize(config);
        int window = (int) Math.max(2, config.sendBuffer().asLongValue() / chunkSize);
        ledger = new Ledger(Derived.stateDir(config));
        sender = new FileSender(publisher, inbox, chunkSize, window, config.filesInFlight(),
                config.rateLimit().map(r -> new RateLimiter(r.asLongValue())).orElse(null), ackTimeout());
        disposer = new SourceDisposer(config.sourcePolicy(), inbox, config.archive().orElse(null));
        boolean marker = config.completion() == FerryConfig.Completion.MARKER;
        tracker = new CompletionTracker(config.settleTime().toNanos(), marker);
        InboxFilter filter = new InboxFilter(config.include(), config.exclude(),
                marker ? CompletionTracker.MARKER_SUFFIX : null);
        watcher = new InboxWatcher(new InboxScanner(inbox, filter), tracker, config.settleTime(),
                config.rescanInterval(), this::onFinished);
        workers = Executors.newFixedThreadPool(config.filesInFlight(), named("ferry-sender"));
        retries = Executors.newSingleThreadScheduledExecutor(named("ferry-retry"));
        receipts = new KafkaReceipts(kafkaConfig, Derived.receiptsTopic(config),
                "ferry-producer-" + Derived.instanceId(config), false, id -> !ledger.isDone(id),
                config.kafkaStartupTimeout());
        receiptPoller = Executors.newSingleThreadScheduledExecutor(named("ferry-receipts"));
        receiptPoller.scheduleWithFixedDelay(this::checkReceipts, 0, RECEIPT_POLL_MILLIS, TimeUnit.MILLISECONDS);
        workers.execute(() -> endStaleAttempts(inbox));
        Thread thread = named("ferry-inbox-watcher").newThread(watcher);
        thread.start();
        LOG.infof(
                "Producer watching %s: topic %s, chunks of %d bytes, %d files in flight, %d chunks unacknowledged "
                        + "over all files, completion %s, source policy %s",
                inbox, config.topic(), chunkSize, config.filesInFlight(), window, config.completion(),
                config.sourcePolicy());
        int waiting = ledger.awaitingReceipt().size();
        if (waiting > 0) {
            LOG.infof("%d sent files wait for their receipt", waiting);
        }
    }

    /** How long Kafka may stay silent with chunks in flight: what the client itself may take, plus a margin. */
    private static java.time.Duration ackTimeout() {
        org.eclipse.microprofile.config.Config mp = org.eclipse.microprofile.config.ConfigProvider.getConfig();
        String prefix = "mp.messaging.outgoing." + dev.ferry.kafka.Channels.CHUNKS_OUT + ".";
        long delivery = mp.getOptionalValue(prefix + "delivery.timeout.ms", Long.class).orElse(120_000L);
        long block = mp.getOptionalValue(prefix + "max.block.ms", Long.class).orElse(60_000L);
        return java.time.Duration.ofMillis(delivery + block + 10_000);
    }

    /**
     * Attempts a previous run left open whose file is gone or changed cannot be resumed: end them with an abort record,
     * so the consumer discards what it staged now rather than after ferry.incomplete-ttl.
     */
    private void endStaleAttempts(Path inbox) {
        for (Ledger.Entry e : ledger.interrupted()) {
            FileState now = FileState.read(inbox, inbox.resolve(e.path()));
            if (now != null && TransferIds.of(now).equals(e.transferId())) {
                continue; // resumed when the watcher finds the file
            }
            try {
                sender.abandon(e.transferId(), e.attempt(), e.partition(), e.path(),
                        "file changed or removed while the producer was down");
                ledger.ended(e.transferId(), e.attempt());
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException ex) {
                LOG.warnf("Transfer %s (%s): cannot end the interrupted attempt %d: %s", e.transferId(), e.path(),
                        e.attempt(), ex.toString());
            }
        }
    }

    /** Acts on the receipts of sent files: the source policy once delivered, a new attempt after a failure. */
    private void checkReceipts() {
        try {
            List<Ledger.Entry> waiting = ledger.awaitingReceipt();
            if (waiting.isEmpty()) {
                return;
            }
            receipts.refresh();
            refusal.succeeded();
            List<String> done = new java.util.ArrayList<>();
            try {
                for (Ledger.Entry e : waiting) {
                    Receipt r = receipts.find(e.transferId()).orElse(null);
                    if (r != null) {
                        onReceipt(e, r, done);
                    }
                }
            } finally {
                // One fsync for the whole round: a thousand small files must not cost a thousand syncs.
                ledger.done(done);
                done.forEach(id -> {
                    receipts.forget(id);
                });
            }
        } catch (IOException | RuntimeException e) {
            if (!refusal.failed(e)) {
                LOG.warnf("Looking for receipts failed (retrying): %s", e.toString());
            }
        }
    }

    /** Acts on one receipt; transfers now finished are added to {@code done}, recorded by the caller. */
    private void onReceipt(Ledger.Entry e, Receipt r, List<String> done) throws IOException {
        String id = e.transferId();
        switch (r.outcome()) {
            case DELIVERED -> {
                FaultPoints.reach(FaultPoints.Point.PRODUCER_RECEIPT_SEEN);
                String disposal = disposer.dispose(e.path(), id);
                FaultPoints.reach(FaultPoints.Point.PRODUCER_DISPOSED);
                done.add(id);
                LOG.infof("Transfer %s (%s): delivered by %s as %s; %s", id, e.path(), r.instance(), r.target(),
                        disposal);
            }
            case SKIPPED -> {
                done.add(id);
                LOG.warnf("Transfer %s (%s): the consumer kept a different file at that path and discarded this one "
                        + "(ferry.on-conflict=skip); source kept", id, e.path());
            }
            case QUARANTINED, FAILED -> {
                if (r.attempt() < e.attempt()) {
                    return; // about an earlier attempt
                }
                ledger.ended(id, e.attempt());
                if (r.outcome() == Receipt.Outcome.QUARANTINED
                        && quarantines.merge(id, 1, Integer::sum) >= MAX_QUARANTINES) {
                    done.add(id);
                    LOG.errorf("Transfer %s (%s): quarantined %d times by the consumer (%s); not sent again until the "
                            + "file changes", id, e.path(), MAX_QUARANTINES, r.reason());
                } else {
                    LOG.warnf("Transfer %s (%s) attempt %d: the consumer reports %s (%s); sending it again", id,
                            e.path(), e.attempt(), r.outcome().name().toLowerCase(), r.reason());
                    tracker.forget(e.path());
                    watcher.requestRescan();
                }
                // A new attempt reads its own receipt; this one is spent.
                receipts.forget(id);
            }
        }
    }

    /**
     * Runs before the messaging channels stop, so that attempts in progress can still end with an abort record and
     * their last acknowledgements arrive; bounded well within a 30 s termination grace period.
     */
    void stop(@Observes @Priority(StartupOrder.STOP_PRODUCER) ShutdownEvent event)
            throws InterruptedException, IOException {
        if (watcher == null) {
            return;
        }
        watcher.stop();
        retries.shutdownNow();
        receiptPoller.shutdown();
        sender.stop();
        workers.shutdown();
        if (!workers.awaitTermination(FileSender.STOP_WAIT_SECONDS * 2, TimeUnit.SECONDS)) {
            workers.shutdownNow();
        }
        receiptPoller.awaitTermination(5, TimeUnit.SECONDS);
        ledger.close();
        receipts.close();
    }

    private void onFinished(FileState state) {
        String transferId = TransferIds.of(state);
        if (ledger.isSent(transferId)) {
            return;
        }
        if (!active.add(state.relativePath())) {
            return;
        }
        workers.execute(() -> {
            try {
                transfer(state, transferId);
            } finally {
                active.remove(state.relativePath());
            }
        });
    }

    private void transfer(FileState state, String transferId) {
        String path = state.relativePath();
        try {
            Ledger.Entry entry = ledger.interrupted(transferId).orElse(null);
            int from = 0;
            if (entry != null && entry.path().equals(path)) {
                from = entry.next();
                LOG.infof("Transfer %s (%s): resuming attempt %d at chunk %d (%d bytes acknowledged before)",
                        transferId, path, entry.attempt(), from,
                        Math.min(state.size(), (long) from * Derived.chunkSize(config)));
            } else {
                entry = ledger.startAttempt(transferId, path, publisher.partitionFor(transferId));
                LOG.infof("Transfer %s (%s): sending %d bytes, attempt %d", transferId, path, state.size(),
                        entry.attempt());
            }
            int attempt = entry.attempt();
            long started = System.nanoTime();
            FileSender.Result result = sender.send(state, transferId, attempt, entry.partition(), from, next -> {
                ledger.progress(transferId, attempt, next);
                FaultPoints.reach(FaultPoints.Point.PRODUCER_PROGRESS);
            });
            switch (result) {
                case SENT -> {
                    FaultPoints.reach(FaultPoints.Point.PRODUCER_ACKNOWLEDGED);
                    ledger.sent(transferId, attempt);
                    retryDelays.remove(path);
                    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
                    LOG.infof("Transfer %s (%s): sent %d bytes in %.2f s (%.1f MB/s); waiting for the receipt",
                            transferId, path, state.size(), seconds, state.size() / seconds / 1e6);
                }
                case CHANGED -> {
                    ledger.ended(transferId, attempt);
                    tracker.forget(path);
                    watcher.requestRescan();
                }
                case FAILED -> {
                    ledger.ended(transferId, attempt);
                    retryLater(path);
                }
                case STOPPED -> {
                    // Progress is recorded; the next start resumes the attempt.
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.errorf(e, "Transfer %s (%s) failed", transferId, path);
            retryLater(path);
        }
    }

    private void retryLater(String path) {
        long delay = retryDelays.merge(path, FIRST_RETRY_MILLIS, (old, first) -> Math.min(MAX_RETRY_MILLIS, old * 2));
        LOG.infof("Retrying %s in %d s", path, delay / 1000);
        retries.schedule(() -> {
            tracker.forget(path);
            watcher.requestRescan();
        }, delay, TimeUnit.MILLISECONDS);
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        return runnable -> {
            Thread t = new Thread(runnable, name);
            t.setDaemon(true);
            return t;
        };
    }
}
