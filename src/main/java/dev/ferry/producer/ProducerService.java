package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

import dev.ferry.config.Derived;
import dev.ferry.config.FerryConfig;
import dev.ferry.kafka.StartupOrder;

/**
 * The producer role: watches the inbox, hands each finished file to a {@link FileSender} on one of
 * {@code ferry.files-in-flight} threads, and records the outcome. Starts after the topics are provisioned.
 */
@ApplicationScoped
public class ProducerService {

    private static final Logger LOG = Logger.getLogger(ProducerService.class);
    private static final long FIRST_RETRY_MILLIS = 2_000;
    private static final long MAX_RETRY_MILLIS = 60_000;

    @Inject
    FerryConfig config;

    @Inject
    ChunkPublisher publisher;

    private final Set<String> active = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> retryDelays = new ConcurrentHashMap<>();
    private ExecutorService workers;
    private ScheduledExecutorService retries;
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
                config.rateLimit().map(r -> new RateLimiter(r.asLongValue())).orElse(null));
        disposer = new SourceDisposer(config.sourcePolicy(), inbox, config.archive().orElse(null));
        boolean marker = config.completion() == FerryConfig.Completion.MARKER;
        tracker = new CompletionTracker(config.settleTime().toNanos(), marker);
        InboxFilter filter = new InboxFilter(config.include(), config.exclude(),
                marker ? CompletionTracker.MARKER_SUFFIX : null);
        watcher = new InboxWatcher(new InboxScanner(inbox, filter), tracker, config.settleTime(),
                config.rescanInterval(), this::onFinished);
        workers = Executors.newFixedThreadPool(config.filesInFlight(), named("ferry-sender"));
        retries = Executors.newSingleThreadScheduledExecutor(named("ferry-retry"));
        Thread thread = named("ferry-inbox-watcher").newThread(watcher);
        thread.start();
        LOG.infof(
                "Producer watching %s: topic %s, chunks of %d bytes, %d files in flight, %d chunks unacknowledged "
                        + "over all files, completion %s, source policy %s",
                inbox, config.topic(), chunkSize, config.filesInFlight(), window, config.completion(),
                config.sourcePolicy());
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
        sender.stop();
        workers.shutdown();
        if (!workers.awaitTermination(FileSender.STOP_WAIT_SECONDS * 2, TimeUnit.SECONDS)) {
            workers.shutdownNow();
        }
        ledger.close();
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
            int attempt = ledger.nextAttempt(transferId);
            LOG.infof("Transfer %s (%s): sending %d bytes, attempt %d", transferId, path, state.size(), attempt);
            long started = System.nanoTime();
            FileSender.Result result = sender.send(state, transferId, attempt);
            switch (result) {
                case SENT -> {
                    ledger.markSent(transferId);
                    retryDelays.remove(path);
                    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
                    LOG.infof("Transfer %s (%s): sent %d bytes in %.2f s (%.1f MB/s)", transferId, path, state.size(),
                            seconds, state.size() / seconds / 1e6);
                    disposer.dispose(state, transferId);
                }
                case CHANGED -> {
                    tracker.forget(path);
                    watcher.requestRescan();
                }
                case FAILED -> retryLater(path);
                case STOPPED -> LOG.infof("Transfer %s (%s): attempt %d ended, the producer is stopping", transferId,
                        path, attempt);
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
