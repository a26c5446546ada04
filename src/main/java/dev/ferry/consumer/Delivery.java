package dev.ferry.consumer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jboss.logging.Logger;

import dev.ferry.DaemonThreads;
import dev.ferry.chunk.RelativePaths;
import dev.ferry.fault.FaultPoints;
import dev.ferry.fs.FolderHandle;
import dev.ferry.receipt.Receipt;
import dev.ferry.receipt.Receipts;
import dev.ferry.transfer.TransferLog;
import dev.ferry.transfer.TransferState;

/**
 * Delivers complete files in batches: verifies each against its size and SHA-256, publishes it through the
 * {@link Deliverer} or quarantines it, and records the receipts. The durable steps are batched so that many small files
 * do not pay a sync each: the staging files are fsynced in parallel, each target folder once, the receipts in one round
 * trip. It returns what it decided and leaves the assemblies' bookkeeping (journal, held acknowledgements) to the
 * {@link Assembler}, which may release offsets only after {@link #deliver} returned.
 * <p>
 * A decision is kept on its assembly ({@link Assembly#decision}): if a later step fails (disk full, receipts topic
 * unreachable), the batch is delivered again and each file is not decided twice; a file already linked into the outbox
 * is found there, identical, and not delivered twice.
 */
final class Delivery implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Delivery.class);

    /** How often quarantined files are checked against their retention. */
    private static final long SWEEP_NANOS = 60_000_000_000L;

    private final Deliverer deliverer;
    private final Receipts receipts;
    private final FolderHandle quarantineFolder;
    private final Path quarantineDir;
    private final String instance;
    private final Duration quarantineRetention;
    private final ExecutorService syncers = Executors.newFixedThreadPool(4, DaemonThreads.named("ferry-staging-sync"));
    /** Set when partitions arrive: receipts other instances wrote for them must be read before the next delivery. */
    private volatile boolean receiptsStale = true;
    private long quarantineSweepNanos;

    /**
     * How one complete file ended here.
     *
     * @param end
     *            DELIVERED or QUARANTINED; null if it was finished before (a receipt says so) and nothing is recorded
     * @param receipt
     *            the receipt to record; null if none is due
     * @param folder
     *            the folder whose new entry must be synced before the receipt is recorded; null if none
     * @param note
     *            where it went, for its outcome line in the log
     */
    record Decision(TransferState end, String sha256, String reason, String note, Receipt receipt, Path folder) {

        static final Decision FINISHED_BEFORE = new Decision(null, null, null, null, null, null);
    }

    /** A file of the batch and how it ended. */
    record Outcome(Assembly assembly, Decision decision) {
    }

    Delivery(Deliverer deliverer, Receipts receipts, FolderHandle quarantineFolder, String instance,
            Duration quarantineRetention) {
        this.deliverer = deliverer;
        this.receipts = receipts;
        this.quarantineFolder = quarantineFolder;
        this.quarantineDir = quarantineFolder.path();
        this.instance = instance;
        this.quarantineRetention = quarantineRetention;
    }

    /** Partitions arrived: their previous owner may have delivered files of them; see its receipts first. */
    void receiptsStale() {
        receiptsStale = true;
    }

    /**
     * Decides every file of {@code batch} (those not decided before), makes the outcome durable and records the
     * receipts. Only after it returns may the files' offsets move.
     *
     * @return each file and how it ended, in batch order
     *
     * @throws IOException
     *             the environment failed (disk, receipts topic): deliver the same batch again later
     */
    List<Outcome> deliver(List<Assembly> batch) throws IOException {
        forceAll(batch.stream().filter(a -> a.decision == null).toList());
        if (receiptsStale) {
            // Every receipt acknowledged before this point is seen, whichever instance wrote it. Needed only after an
            // assignment: a partition's files are delivered by its owner, and a former owner that learns late it was
            // evicted finds the file already in the outbox. Between assignments, ConsumerService refreshes in the
            // background, so a round trip per batch is not paid.
            receipts.refresh();
            receiptsStale = false;
        }
        Set<Path> folders = new LinkedHashSet<>();
        List<Receipt> toRecord = new ArrayList<>();
        List<Outcome> outcomes = new ArrayList<>(batch.size());
        for (Assembly a : batch) {
            if (a.decision == null) {
                try (TransferLog.Scope log = TransferLog.about(a.transferId, a.path)) {
                    a.decision = decide(a);
                }
            }
            Decision d = a.decision;
            if (d.folder() != null) {
                folders.add(d.folder());
            }
            if (d.receipt() != null) {
                toRecord.add(d.receipt());
            }
            outcomes.add(new Outcome(a, d));
        }
        FaultPoints.reach(FaultPoints.Point.CONSUMER_PUBLISHED);
        for (Path folder : folders) {
            Durable.syncDirectory(folder);
        }
        receipts.record(toRecord);
        FaultPoints.reach(FaultPoints.Point.CONSUMER_RECEIPTED);
        return outcomes;
    }

    /** Delivers or quarantines one complete file, or finds it finished already. */
    private Decision decide(Assembly a) throws IOException {
        Receipt known = receipts.find(a.transferId).filter(r -> r.outcome().isFinal()).orElse(null);
        a.close();
        if (known != null) {
            // Finished before (by this instance before its state was lost, or by another one): not delivered again.
            LOG.infof("Transfer %s (%s): already %s as %s by %s at %s (receipt); not delivered again", a.transferId,
                    a.path, known.outcome().name().toLowerCase(), known.target(), known.instance(), known.time());
            return Decision.FINISHED_BEFORE;
        }
        long staged = a.stagedSize();
        byte[] sha = a.sha256();
        if (staged != a.size || !Arrays.equals(sha, a.expectedSha256)) {
            return quarantine(a, staged != a.size ? "size " + staged + " != expected " + a.size
                    : "sha256 " + hex(sha) + " != expected " + hex(a.expectedSha256));
        }
        try {
            FaultPoints.diskWrite();
            Deliverer.Published p = deliverer.publish(a.staging, a.path, a.modifiedMillis, a.mode, a.size, sha);
            String target = OutboxPaths.relative(deliverer.outbox(), p.target());
            boolean skipped = p.outcome() == Deliverer.Outcome.SKIPPED;
            Receipt receipt = skipped ? subjectOf(a).skipped(target, hex(sha), instance)
                    : subjectOf(a).delivered(target, hex(sha), instance);
            String note = switch (p.outcome()) {
                case DELIVERED -> "written to " + p.target();
                case ALREADY_THERE -> "the same file was already at " + p.target();
                case SKIPPED -> "not written: a different file is at " + p.target();
            };
            return new Decision(TransferState.DELIVERED, hex(sha),
                    skipped ? "a different file was kept (ferry.on-conflict=skip)" : null, note, receipt,
                    p.target().getParent());
        } catch (UnsafePathException e) {
            // The outbox changed under us (e.g. a symlink planted since the first chunk): keep the data.
            return quarantine(a, "unsafe target path: " + e.getMessage());
        } catch (IOException e) {
            if (!RecordFaults.isRecordFault(e)) {
                throw e; // the environment's: the batch is retried
            }
            // A name this file system cannot take, found only now: this file leaves the batch, the rest is delivered.
            return quarantine(a, "cannot be delivered: " + e.getMessage());
        }
    }

    private Decision quarantine(Assembly a, String reason) throws IOException {
        // Named by transfer and attempt, with as much of the file name as fits; the whole path goes in the .reason
        // file. So no path, however long, makes a quarantine name the file system refuses.
        String name = a.transferId + "-" + a.attempt + "-" + RelativePaths
                .truncateUtf8(a.path.substring(a.path.lastIndexOf('/') + 1), RelativePaths.MAX_SEGMENT_BYTES - 64);
        Files.move(a.staging, quarantineDir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(quarantineDir.resolve(name + ".reason"),
                "transfer " + a.transferId + " attempt " + a.attempt + " path " + a.path + ": " + reason + "\n",
                StandardCharsets.UTF_8);
        return new Decision(TransferState.QUARANTINED, null, reason,
                "verification failed, kept as " + quarantineFolder.logical().resolve(name),
                subjectOf(a).quarantined(instance, reason), quarantineDir);
    }

    private void forceAll(List<Assembly> batch) throws IOException {
        if (batch.size() == 1) {
            batch.get(0).force();
            return;
        }
        List<Future<?>> syncs = new ArrayList<>();
        for (Assembly a : batch) {
            syncs.add(syncers.submit(() -> {
                a.force();
                return null;
            }));
        }
        for (Future<?> sync : syncs) {
            try {
                sync.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while syncing staged files", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
            }
        }
    }

    /**
     * Deletes quarantined files (and their {@code .reason}) older than {@code ferry.quarantine-retention}; at most once
     * a minute.
     */
    void sweepQuarantine() throws IOException {
        long now = System.nanoTime();
        if (quarantineSweepNanos != 0 && now - quarantineSweepNanos < SWEEP_NANOS) {
            return;
        }
        quarantineSweepNanos = now;
        long cutoff = System.currentTimeMillis() - quarantineRetention.toMillis();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(quarantineDir)) {
            for (Path file : files) {
                var attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                // The .reason file is written when the file is quarantined; the data keeps its staging times.
                String name = file.getFileName().toString();
                Path reason = name.endsWith(".reason") ? file : file.resolveSibling(name + ".reason");
                long quarantined = Files.exists(reason, LinkOption.NOFOLLOW_LINKS)
                        ? Files.getLastModifiedTime(reason, LinkOption.NOFOLLOW_LINKS).toMillis()
                        : attrs.lastModifiedTime().toMillis();
                if (attrs.isRegularFile() && quarantined < cutoff) {
                    Files.deleteIfExists(file);
                    LOG.infof("Quarantined %s deleted: older than ferry.quarantine-retention %s", name,
                            quarantineRetention);
                }
            }
        }
    }

    @Override
    public void close() {
        syncers.shutdownNow();
        quarantineFolder.close();
    }

    static Receipt.Subject subjectOf(Assembly a) {
        return new Receipt.Subject(a.transferId, a.attempt, a.path, a.size, a.source.topic());
    }

    private static String hex(byte[] bytes) {
        return bytes == null ? "none" : HexFormat.of().formatHex(bytes);
    }
}
