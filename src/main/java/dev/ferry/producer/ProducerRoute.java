package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import dev.ferry.DaemonThreads;
import dev.ferry.chunk.RelativePaths;
import dev.ferry.config.FerryConfig;
import dev.ferry.fault.FaultPoints;
import dev.ferry.receipt.Receipt;
import dev.ferry.receipt.SealedReceipts;
import dev.ferry.route.Route;
import dev.ferry.transfer.Side;
import dev.ferry.transfer.TransferBoard;
import dev.ferry.transfer.TransferLog;
import dev.ferry.transfer.TransferMetrics;
import dev.ferry.transfer.TransferState;
import dev.ferry.trust.SealingKey;

/**
 * One producer route at work: watches its inbox, hands each finished file to a {@link FileSender} on one of
 * {@code ferry.files-in-flight} threads, records each attempt in its own {@link Ledger}, and applies its source policy
 * once the consumer side's receipt says the file was delivered. Started and stopped by {@link ProducerService} as the
 * routes change.
 * <p>
 * A transfer's life: attempt started (partition fixed) → chunks sent, progress recorded → all acknowledged by the
 * broker ("sent") → receipt "delivered" → source policy → done. A crash or stop mid-file resumes the attempt from its
 * last recorded progress; a failed send, a changed file or a failure receipt ends the attempt and sends the file again
 * as a new one.
 */
final class ProducerRoute {

    private static final Logger LOG = Logger.getLogger(ProducerRoute.class);
    private static final long FIRST_RETRY_MILLIS = 2_000;
    private static final long MAX_RETRY_MILLIS = 60_000;
    /** Quarantine receipts after which a file is not sent again by itself (a file that keeps failing verification). */
    static final int MAX_QUARANTINES = 3;

    final Route route;
    final Ledger ledger;
    private final TransferBoard board;
    private final Path inbox;
    private final ChunkPublisher.TopicPublisher publisher;
    private final Set<String> active = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> quarantines = new ConcurrentHashMap<>();
    /** Re-sends after failed receipts, by transfer; bounded by the files waiting for receipts. */
    private final Map<String, Integer> resends = new ConcurrentHashMap<>();
    private final int maxResends;
    private final long maxFileSize;
    private final Map<String, Long> retryDelays = new ConcurrentHashMap<>();
    /** Receipts ignored because they do not match what was sent, by transfer: each is reported once. */
    private final Map<String, Receipt> mismatched = new ConcurrentHashMap<>();
    private final TransferMetrics metrics;
    /** The route's encryption key: transfer ids are keyed hashes under it. Null: records go in the clear. */
    private final SealingKey sealingKey;
    private final ExecutorService workers;
    /** Files of one chunk: many at once, so that Kafka batches them and the ledger shares fsyncs among them. */
    private final ExecutorService smallWorkers;
    private final ScheduledExecutorService retries;
    private final CompletionTracker tracker;
    private final InboxWatcher watcher;
    private final FileSender sender;
    private final SourceDisposer disposer;
    private final Thread watcherThread;

    ProducerRoute(Route route, Path ledgerDir, FerryConfig config, ChunkPublisher.TopicPublisher publisher,
            Duration ackTimeout, TransferBoard board, TransferMetrics metrics, Optional<SealingKey> sealingKey)
            throws IOException {
        this.sealingKey = sealingKey.orElse(null);
        this.route = route;
        this.board = board;
        this.metrics = metrics;
        this.publisher = publisher;
        this.inbox = route.inbox().orElseThrow().toAbsolutePath().normalize();
        this.maxResends = config.producer().maxResends();
        this.maxFileSize = config.maxFileSize().asLongValue();
        Files.createDirectories(inbox);
        int window = (int) Math.max(2, config.producer().sendBuffer().asLongValue() / route.chunkSize());
        ledger = new Ledger(ledgerDir);
        // Every chunk's send-to-acknowledgement time, for the chunk latency histogram.
        FileSender.Publisher timed = (record, partition) -> {
            long sentAt = System.nanoTime();
            return publisher.send(record, partition)
                    .whenComplete((ok, failure) -> metrics.chunkAcknowledged(route.name(), System.nanoTime() - sentAt));
        };
        sender = new FileSender(timed, inbox, route.chunkSize(), window, config.producer().filesInFlight(),
                config.producer().rateLimit().map(r -> new RateLimiter(r.asLongValue())).orElse(null), ackTimeout);
        disposer = new SourceDisposer(route.sourcePolicy(), inbox, route.archive().orElse(null), this::transferId);
        boolean marker = config.producer().completion() == FerryConfig.Completion.MARKER;
        tracker = new CompletionTracker(config.producer().settleTime().toNanos(), marker);
        InboxFilter filter = new InboxFilter(route.include(), route.exclude(),
                marker ? CompletionTracker.MARKER_SUFFIX : null);
        watcher = new InboxWatcher(new InboxScanner(inbox, filter, this::onSkipped), tracker,
                config.producer().settleTime(), config.producer().rescanInterval(), this::onFinished);
        workers = Executors.newFixedThreadPool(config.producer().filesInFlight(),
                DaemonThreads.named("ferry-sender-" + route.name()));
        smallWorkers = Executors.newFixedThreadPool(config.producer().smallFilesInFlight(),
                DaemonThreads.named("ferry-small-sender-" + route.name()));
        retries = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-retry-" + route.name()));
        workers.execute(this::endStaleAttempts);
        watcherThread = DaemonThreads.named("ferry-inbox-watcher-" + route.name()).newThread(watcher);
        watcherThread.start();
        LOG.infof(
                "Route %s: watching %s, topic %s, chunks of %d bytes, %d files in flight (and %d of one chunk), %d "
                        + "chunks unacknowledged over all files, completion %s, source policy %s",
                route.name(), inbox, route.topic(), route.chunkSize(), config.producer().filesInFlight(),
                config.producer().smallFilesInFlight(), window, config.producer().completion(), route.sourcePolicy());
        int waiting = ledger.awaitingReceipt().size();
        if (waiting > 0) {
            LOG.infof("Route %s: %d sent files wait for their receipt", route.name(), waiting);
        }
    }

    String transferId(FileState state) {
        if (sealingKey != null) {
            return TransferIds.sealed(sealingKey, route.name(), state);
        }
        return route.isDefault() ? TransferIds.of(state) : TransferIds.of(route.name(), state);
    }

    /**
     * Attempts a previous run left open whose file is gone or changed cannot be resumed: end them with an abort record,
     * so the consumer discards what it staged now rather than after ferry.incomplete-ttl.
     */
    private void endStaleAttempts() {
        for (Ledger.Entry e : ledger.interrupted()) {
            FileState now = FileState.read(inbox, inbox.resolve(e.path()));
            if (now != null && transferId(now).equals(e.transferId())) {
                continue; // resumed when the watcher finds the file
            }
            try (TransferLog.Scope log = TransferLog.about(e.transferId(), e.path())) {
                abandon(e);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void abandon(Ledger.Entry e) throws InterruptedException {
        try {
            sender.abandon(e.transferId(), e.attempt(), e.partition(), e.path(),
                    "file changed or removed while the producer was down");
            ledger.ended(e.transferId(), e.attempt());
        } catch (IOException | RuntimeException ex) {
            LOG.warnf("Transfer %s (%s): cannot end the interrupted attempt %d: %s", e.transferId(), e.path(),
                    e.attempt(), ex.toString());
        }
    }

    /**
     * Acts on one receipt; transfers now finished are added to {@code done}, recorded by the caller, and receipts of
     * attempts that are over to {@code spent}.
     */
    void onReceipt(Ledger.Entry e, Receipt r, List<String> done, List<String> spent) throws IOException {
        try (TransferLog.Scope log = TransferLog.about(e.transferId(), e.path())) {
            actOn(e, r, done, spent);
        }
    }

    private void actOn(Ledger.Entry e, Receipt receipt, List<String> done, List<String> spent) throws IOException {
        String id = e.transferId();
        // A receipt of a sealed route is opened with the route's key to show where the file went; one sealed with
        // another key (the consumer's route rotated first) is still matched by its keyed SHA-256.
        Receipt r = sealingKey == null ? receipt
                : SealedReceipts.open(receipt, keyId -> keyId.equals(sealingKey.keyId()) ? sealingKey : null)
                        .orElse(receipt);
        if (r.outcome().isFinal() && !matchesWhatWasSent(e, r)) {
            return;
        }
        switch (r.outcome()) {
            case DELIVERED -> {
                FaultPoints.reach(FaultPoints.Point.PRODUCER_RECEIPT_SEEN);
                String disposal = disposer.dispose(e.path(), id);
                FaultPoints.reach(FaultPoints.Point.PRODUCER_DISPOSED);
                done.add(id);
                resends.remove(id);
                board.finished(Side.PRODUCER, id, TransferState.DELIVERED, e.sha256() != null ? e.sha256() : r.sha256(),
                        null,
                        (r.instance() == null ? "" : "by " + r.instance() + " as " + r.target() + "; ") + disposal);
            }
            case SKIPPED -> {
                done.add(id);
                board.finished(Side.PRODUCER, id, TransferState.FAILED, null,
                        "the consumer kept a different file at that path (ferry.on-conflict=skip)", "source kept");
            }
            case QUARANTINED, FAILED -> {
                if (r.attempt() < e.attempt()) {
                    return; // about an earlier attempt
                }
                ledger.ended(id, e.attempt());
                // Anyone who can write the topics can forge a failure, and a real one may repeat: either way the file
                // is sent again only a bounded number of times, with a growing pause, then stays failed with the
                // reason until it changes.
                int resends = this.resends.merge(id, 1, Integer::sum);
                boolean quarantined = r.outcome() == Receipt.Outcome.QUARANTINED;
                boolean givenUp = quarantined ? quarantines.merge(id, 1, Integer::sum) >= MAX_QUARANTINES
                        : resends > maxResends;
                String reason = r.reason() == null ? "reported failed by the consumer" : r.reason();
                if (givenUp) {
                    String end = (quarantined ? "quarantined " + MAX_QUARANTINES + " times"
                            : "failed after " + maxResends + " re-sends")
                            + " by the consumer; not sent again until the file changes";
                    board.finished(Side.PRODUCER, id, quarantined ? TransferState.QUARANTINED : TransferState.FAILED,
                            null, reason + "; " + end, end);
                    done.add(id);
                    this.resends.remove(id);
                } else {
                    long delay = resendDelayMillis(resends);
                    board.finished(Side.PRODUCER, id, quarantined ? TransferState.QUARANTINED : TransferState.FAILED,
                            null, reason, "attempt " + e.attempt() + " reported by the consumer; sending it again in "
                                    + delay / 1000 + " s (re-send " + resends + " of " + maxResends + ")");
                    board.waiting(id, route.name(), e.path(), 0, "attempt " + e.attempt() + " failed: " + reason
                            + "; sent again in " + delay / 1000 + " s (re-send " + resends + " of " + maxResends + ")");
                    resendLater(e.path(), id, delay);
                }
                // A new attempt reads its own receipt; this one is spent.
                spent.add(id);
            }
        }
    }

    /**
     * Stops watching and sending: attempts in progress record how far they got and resume when the route (or the
     * process) starts again; nothing is aborted. Bounded well within a 30 s termination grace period.
     */
    void stop() throws InterruptedException, IOException {
        watcher.stop();
        retries.shutdownNow();
        sender.stop();
        workers.shutdown();
        smallWorkers.shutdown();
        if (!workers.awaitTermination(FileSender.STOP_WAIT_SECONDS * 2, TimeUnit.SECONDS)) {
            workers.shutdownNow();
        }
        if (!smallWorkers.awaitTermination(FileSender.STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
            smallWorkers.shutdownNow();
        }
        watcherThread.join(TimeUnit.SECONDS.toMillis(FileSender.STOP_WAIT_SECONDS));
        ledger.close();
    }

    /** An entry the scanner will never send: listed as skipped with the reason, once. */
    /**
     * A receipt that ends a transfer (and may delete its source) must be about what was sent: this attempt, this size,
     * this SHA-256. Anyone who can write the receipts topic could write one for a file never delivered; with signatures
     * such a receipt is not even read, without them this check still stops a forged hash or size. Entries from a ledger
     * written before sizes and hashes were recorded are checked on the attempt alone.
     */
    private boolean matchesWhatWasSent(Ledger.Entry e, Receipt r) {
        String sha256 = String.valueOf(r.sha256());
        boolean matches = r.attempt() == e.attempt() && (e.sha256() == null || r.size() == e.size()
                && (e.sha256().equalsIgnoreCase(sha256) || sealingKey != null && sha256.startsWith(SealedReceipts.KEYED)
                        && SealedReceipts.keyedSha256(sealingKey, e.transferId(), e.sha256()).equals(sha256)));
        if (!matches && !r.equals(mismatched.put(e.transferId(), r))) {
            metrics.receiptRejected("mismatch");
            LOG.warnf(
                    "Transfer %s (%s): receipt ignored, it does not match what was sent (receipt: attempt %d, %d bytes, "
                            + "sha256 %s by %s; sent: attempt %d, %d bytes, sha256 %s); still waiting for the real one",
                    e.transferId(), e.path(), r.attempt(), r.size(), r.sha256(), r.instance(), e.attempt(), e.size(),
                    e.sha256());
        }
        if (matches) {
            mismatched.remove(e.transferId());
        }
        return matches;
    }

    /** Records an attempt's progress in the ledger and on the board, and keeps the file's hash for its receipt. */
    private final class AttemptProgress implements FileSender.Progress {
        private final String transferId;
        private final int attempt;
        private final long size;
        /** Hex SHA-256 of the file as sent; null until its last chunk was read. */
        volatile String sha256;

        AttemptProgress(String transferId, int attempt, long size) {
            this.transferId = transferId;
            this.attempt = attempt;
            this.size = size;
        }

        @Override
        public void acknowledged(int next) throws IOException {
            ledger.progress(transferId, attempt, next);
            board.progress(Side.PRODUCER, transferId, next, Math.min(size, (long) next * route.chunkSize()));
            FaultPoints.reach(FaultPoints.Point.PRODUCER_PROGRESS);
        }

        @Override
        public void hashed(byte[] digest) {
            sha256 = HexFormat.of().formatHex(digest);
        }
    }

    private void onSkipped(InboxScanner.Skipped skipped) {
        String id = TransferIds.ofSkipped(route.name(), skipped.relativePath(), skipped.fileKey());
        board.started(Side.PRODUCER, id, route.name(), skipped.relativePath(), 0, 0, null);
        board.finished(Side.PRODUCER, id, TransferState.SKIPPED, null, "skipped: " + skipped.why(), null);
    }

    private void onFinished(FileState state) {
        String transferId = transferId(state);
        if (ledger.isSent(transferId)) {
            return;
        }
        // The consumer would refuse it: say so now, once per version of the file, instead of "sent" forever.
        String problem = RelativePaths.problemWith(state.relativePath());
        if (problem == null && state.size() > maxFileSize) {
            problem = "it has " + state.size() + " bytes, more than ferry.max-file-size (" + maxFileSize + ")";
        }
        if (problem != null) {
            try (TransferLog.Scope log = TransferLog.about(transferId, state.relativePath())) {
                board.started(Side.PRODUCER, transferId, route.name(), state.relativePath(), state.size(), 0, null);
                board.finished(Side.PRODUCER, transferId, TransferState.FAILED, null, "not sent: " + problem,
                        "refused before sending; not tried again until the file is renamed or changes");
            }
            return;
        }
        if (!active.add(state.relativePath())) {
            return;
        }
        (state.size() <= route.chunkSize() ? smallWorkers : workers).execute(() -> {
            try (TransferLog.Scope log = TransferLog.about(transferId, state.relativePath())) {
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
                        Math.min(state.size(), (long) from * route.chunkSize()));
            } else {
                entry = ledger.startAttempt(transferId, path, publisher.partitionFor(transferId));
                LOG.infof("Transfer %s (%s): sending %d bytes, attempt %d", transferId, path, state.size(),
                        entry.attempt());
            }
            int attempt = entry.attempt();
            int chunks = (int) Math.max(1, (state.size() + route.chunkSize() - 1) / route.chunkSize());
            board.started(Side.PRODUCER, transferId, route.name(), path, state.size(), chunks, entry.partition());
            board.progress(Side.PRODUCER, transferId, from, Math.min(state.size(), (long) from * route.chunkSize()));
            long started = System.nanoTime();
            AttemptProgress progress = new AttemptProgress(transferId, attempt, state.size());
            FileSender.Result result = sender.send(state, transferId, attempt, entry.partition(), from, progress);
            switch (result) {
                case SENT -> {
                    FaultPoints.reach(FaultPoints.Point.PRODUCER_ACKNOWLEDGED);
                    ledger.sent(transferId, attempt, state.size(), progress.sha256);
                    board.sent(transferId);
                    retryDelays.remove(path);
                    double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
                    LOG.infof("Transfer %s (%s): sent %d bytes in %.2f s (%.1f MB/s); waiting for the receipt",
                            transferId, path, state.size(), seconds, state.size() / seconds / 1e6);
                }
                case CHANGED -> {
                    ledger.ended(transferId, attempt);
                    board.finished(Side.PRODUCER, transferId, TransferState.RESTARTED, null,
                            "the file changed while it was read; sent again once it settles");
                    tracker.forget(path);
                    watcher.requestRescan();
                }
                case FAILED -> {
                    ledger.ended(transferId, attempt);
                    board.finished(Side.PRODUCER, transferId, TransferState.FAILED, null,
                            "sending failed (see the log); retried");
                    retryLater(path);
                }
                case STOPPED -> {
                    board.paused(Side.PRODUCER, transferId);
                    // Progress is recorded; the next start resumes the attempt.
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (FileSender.UnreadableFile e) {
            // Not a failure of the transfer: the file is there but cannot be read now. Shown as waiting, retried.
            board.waiting(transferId, route.name(), path, state.size(),
                    "cannot be read: " + e.getMessage() + "; retried with a growing pause");
            resendLater(path, transferId,
                    retryDelays.merge(path, FIRST_RETRY_MILLIS, (old, first) -> Math.min(MAX_RETRY_MILLIS, old * 2)));
        } catch (IOException | RuntimeException e) {
            LOG.errorf(e, "Transfer %s (%s) failed", transferId, path);
            board.finished(Side.PRODUCER, transferId, TransferState.FAILED, null, e.toString());
            retryLater(path);
        }
    }

    /** 2 s, 4 s, 8 s, ... up to a minute: a failure that repeats costs a little, not a loop. */
    static long resendDelayMillis(int resend) {
        return Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(10, resend - 1));
    }

    private void resendLater(String path, String id, long delayMillis) {
        retries.schedule(() -> {
            if (!Files.exists(inbox.resolve(path), LinkOption.NOFOLLOW_LINKS)) {
                board.paused(Side.PRODUCER, id); // gone meanwhile: nothing left to wait for
            }
            tracker.forget(path);
            watcher.requestRescan();
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    private void retryLater(String path) {
        long delay = retryDelays.merge(path, FIRST_RETRY_MILLIS, (old, first) -> Math.min(MAX_RETRY_MILLIS, old * 2));
        LOG.infof("Retrying %s in %d s", path, delay / 1000);
        retries.schedule(() -> {
            tracker.forget(path);
            watcher.requestRescan();
        }, delay, TimeUnit.MILLISECONDS);
    }

}
