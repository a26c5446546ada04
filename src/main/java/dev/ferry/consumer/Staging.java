package dev.ferry.consumer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;
import org.roaringbitmap.RoaringBitmap;

import dev.ferry.chunk.Chunk;
import dev.ferry.fault.FaultPoints;
import dev.ferry.fs.FolderHandle;
import dev.ferry.transfer.TransferLog;

/**
 * Where partial files live: one staging file per attempt ({@code <transfer>-<attempt>.part}) in a folder on the
 * outbox's file system, so that delivery is an atomic link; the {@link Journal} of which chunks in them are durable;
 * and the cap on staging files open at once.
 * <p>
 * The folder is opened once without following a symlink at any level below the outbox and used through its descriptor:
 * someone who can write the outbox cannot swap {@code .ferry} for a link and redirect staged data.
 */
final class Staging implements AutoCloseable {

    /** A staging file that received nothing for this long is closed at the next sync. */
    static final long IDLE_CLOSE_NANOS = 5_000_000_000L;

    private static final Logger LOG = Logger.getLogger(Staging.class);

    private final FolderHandle folder;
    private final Path dir;
    private final Journal journal;
    private final int maxOpenFiles;
    /** Assemblies whose staging file is open, least recently written first; at most {@link #maxOpenFiles}. */
    private final LinkedHashSet<Assembly> open = new LinkedHashSet<>();

    Staging(Path outbox, Path stagingDir, Journal journal, int maxOpenFiles) throws IOException {
        this.folder = openBelow(outbox, stagingDir);
        this.dir = folder.path();
        this.journal = journal;
        this.maxOpenFiles = maxOpenFiles;
    }

    /** A new, empty assembly for the first chunk of an attempt; a stale staging file of the same attempt is removed. */
    Assembly start(Chunk first, TopicPartition source) throws IOException {
        Path staging = fileOf(first.transferId(), first.attempt());
        Files.deleteIfExists(staging);
        return new Assembly(first, source, staging, new RoaringBitmap());
    }

    /**
     * A chunk was written to {@code a}'s file: it becomes the most recently used, and the least recently written files
     * beyond the cap are synced and closed (the next chunk opens them again).
     */
    void written(Assembly a) throws IOException {
        open.remove(a);
        open.add(a);
        while (open.size() > maxOpenFiles) {
            Assembly eldest = open.iterator().next();
            open.remove(eldest);
            eldest.closeIdle();
        }
    }

    /**
     * {@code a}'s file is complete (about to be delivered) or dropped: no longer counted as open here. A complete file
     * keeps its descriptor until delivery syncs and closes it, so that sync runs on the delivery's threads, in parallel
     * with the next records, and not on the ingest thread that would otherwise evict it; the queue of complete files
     * ({@link Assembler#MAX_WAITING}) bounds those descriptors.
     */
    void release(Assembly a) {
        open.remove(a);
    }

    /**
     * The assemblies with chunks written since their last sync, except those {@code awaitingDelivery}: delivery syncs
     * each of those itself, in parallel, moments later, and a journal entry would be deleted as soon as written.
     */
    List<Assembly> dirty(Collection<Assembly> assemblies, Predicate<Assembly> awaitingDelivery) {
        return assemblies.stream().filter(a -> a.dirty && !awaitingDelivery.test(a)).toList();
    }

    /**
     * Fsyncs what was written to {@code dirty} since the last sync. Needs no lock but each assembly's own, so the
     * assembler runs it while records of other transfers go on being staged: a second of a large file's chunks takes a
     * while to reach the disk.
     */
    void force(List<Assembly> dirty) throws IOException {
        for (Assembly a : dirty) {
            FaultPoints.diskWrite();
            a.force();
        }
    }

    /**
     * Journals what {@link #force} made durable, for the assemblies of {@code synced} still staged ({@code all}) and
     * not {@code busy} (complete, about to be delivered), then closes staging files idle for {@link #IDLE_CLOSE_NANOS},
     * except the busy ones.
     * <p>
     * A file that completed since its last entry keeps that entry: it says less than is staged, never more, so after a
     * restart only the chunks it does not name are read again. Small files, which complete within one sync interval,
     * are never journaled at all: their chunks are re-read after a crash, at the cost of writing them once more.
     */
    void journal(List<Assembly> synced, Collection<Assembly> all, Predicate<Assembly> busy) throws IOException {
        Set<Assembly> staged = new HashSet<>(all);
        boolean any = false;
        for (Assembly a : synced) {
            if (staged.contains(a) && !busy.test(a)) { // not delivered or dropped meanwhile: its entry would outlive it
                journal.write(a);
                a.journaled = true;
                any = true;
            }
        }
        long now = System.nanoTime();
        for (Assembly a : all) {
            if (a.isOpen() && !busy.test(a) && now - a.lastWriteNanos >= IDLE_CLOSE_NANOS) {
                // Not held open while idle: a transfer waiting for its producer costs no descriptor.
                a.closeIdle();
                open.remove(a);
            }
        }
        if (any) {
            journal.syncDirectory();
            FaultPoints.reach(FaultPoints.Point.CONSUMER_JOURNALED);
        }
    }

    /** The assembly is over (delivered or dropped): its staging file and journal entry go. */
    void remove(Assembly a) throws IOException {
        release(a);
        delete(a);
    }

    /** Removes the staging file and journal entry of an assembly that is over and {@link #release released}. */
    void delete(Assembly a) throws IOException {
        a.end();
        Files.deleteIfExists(a.staging);
        if (a.journaled) {
            journal.delete(a.transferId, a.attempt);
        }
    }

    /**
     * The assemblies journaled before a restart whose staging file is still there and which are not {@code finished} (a
     * receipt says so); every other journal entry and staging file is stale and removed.
     */
    List<Assembly> resume(Predicate<String> finished) throws IOException {
        List<Assembly> resumed = new ArrayList<>();
        Set<Path> keep = new HashSet<>();
        for (Journal.Entry e : journal.load()) {
            Chunk d = e.description();
            Path staging = fileOf(d.transferId(), d.attempt());
            if (!Files.exists(staging) || finished.test(d.transferId())) {
                journal.delete(d.transferId(), d.attempt());
                continue;
            }
            Assembly a = new Assembly(d, e.chunkLength(), e.source(), staging, e.durable());
            a.expectedSha256 = e.sha256();
            a.journaled = true;
            resumed.add(a);
            keep.add(staging);
            try (TransferLog.Scope log = TransferLog.about(d.transferId(), d.path())) {
                LOG.infof("Transfer %s (%s): resuming with %d of %d chunks staged", d.transferId(), d.path(),
                        e.durable().getCardinality(), d.count());
            }
        }
        try (DirectoryStream<Path> staged = Files.newDirectoryStream(dir)) {
            for (Path file : staged) {
                if (!keep.contains(file)) {
                    Files.delete(file);
                }
            }
        }
        return resumed;
    }

    @Override
    public void close() {
        folder.close();
    }

    private Path fileOf(String transferId, int attempt) {
        return dir.resolve(transferId + "-" + attempt + ".part");
    }

    /** Opens (and creates) {@code folder}: below the outbox without following links, elsewhere as it is. */
    static FolderHandle openBelow(Path outbox, Path folder) throws IOException {
        Path root = folder.startsWith(outbox) ? outbox : folder;
        return FolderHandle.open(root, root.relativize(folder), true);
    }
}
