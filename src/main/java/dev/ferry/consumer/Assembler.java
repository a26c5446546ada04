package dev.ferry.consumer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.InvalidRecordException;
import dev.ferry.fault.FaultPoints;
import dev.ferry.receipt.Receipt;
import dev.ferry.receipt.Receipts;
import dev.ferry.transfer.TransferLog;
import dev.ferry.transfer.TransferState;

/**
 * Puts files back together from their chunks and decides when an offset may be committed. Plain Java, driven by
 * {@link ChunkIngest} one record at a time; unit-tested without Kafka.
 * <h2>When an offset may be committed (the safe-offset rule)</h2> Every record is acknowledged as soon as it is staged,
 * except one per transfer: the earliest record of the transfer read since its partition was assigned. That
 * acknowledgement is held until the file is delivered (or aborted, superseded or quarantined). The connector's
 * {@code throttled} commit strategy commits only below the oldest unacknowledged record, so the committed offset never
 * passes the first record of a file that is not yet delivered. Why that is safe:
 * <ul>
 * <li>After a crash, a restart or a rebalance, the partition is read again from the committed offset, which is at or
 * before the first record of every unfinished file, so every chunk of it comes again. Nothing staged but unfinished can
 * be lost, whatever happened to the staging area.</li>
 * <li>Chunks read again are harmless: chunks are written at their offset and a bit set makes duplicates no-ops;
 * finished transfers have a receipt in Kafka ({@link Receipts}), written before their offsets can be committed and
 * checked before publishing, so not even a lost state volume delivers a file twice; a delivery whose receipt was not
 * written finds its identical file already in the outbox.</li>
 * <li>Acknowledging the other chunks early lets the connector release their payloads, so memory does not grow with file
 * size; it cannot move the commit past the held record.</li>
 * </ul>
 * Revoked partitions drop their held acknowledgements (the new owner re-reads from the committed offset) and their
 * transfers are not finished here until the partition comes back.
 * <p>
 * The same rule means a transfer's first chunk is always read before its others. A later chunk that finds no state
 * therefore has lost its start for good (aged out of retention, or delivered before this consumer's state was lost): it
 * is reported as failed and acknowledged, never waited for. A transfer that stops receiving chunks is abandoned after
 * {@code ferry.incomplete-ttl}, which also releases its held acknowledgement.
 * <h2>A record can only fail itself</h2> Everything a record claims (path, size, offsets, count) is checked against the
 * {@link Limits} and the outbox before a byte is written, and nothing is allocated from a claim: a record that fails a
 * check is refused ({@link InvalidRecordException}, {@link UnsafePathException}: dead letter and a failed receipt),
 * while an {@link IOException} means the environment (disk full, I/O error) and is retried. A complete file that cannot
 * be delivered for a reason of its own is quarantined and leaves its batch; the rest of the batch is delivered.
 */
final class Assembler implements AutoCloseable {

    /** Complete files that start a delivery at once; fewer wait up to the batch window for more. */
    static final int MAX_BATCH = 64;

    /**
     * Complete files waiting while a batch is delivered: a record that would add one more waits (each holds a staging
     * file and an unacknowledged record), so staging never runs ahead of delivery without bound.
     */
    static final int MAX_WAITING = 4 * MAX_BATCH;

    private static final Logger LOG = Logger.getLogger(Assembler.class);

    private final Path outbox;
    private final Staging staging;
    private final Delivery delivery;
    private final Receipts receipts;
    private final String instance;
    private final long syncIntervalNanos;
    /** Each partition's transfers; partitions this consumer reads now and revoked ones that still hold transfers. */
    private final Map<TopicPartition, PartitionAssemblies> partitions = new HashMap<>();
    private final Limits limits;
    private final FailureReceipts failures;
    private long abandonedTransfers;
    private long failedTransfers;
    private long refusedForCapacity;
    /** Complete files waiting to be delivered together (see {@link #flush}), in the order they completed. */
    private final Set<Assembly> completed = new LinkedHashSet<>();
    private final long batchWindowNanos;
    private long firstCompletedNanos;
    private long lastSync = System.nanoTime();
    private boolean closed;
    /** The consumer is stopping: no record is staged any more, what is complete is still delivered. */
    private boolean stopped;
    /**
     * The batch being delivered now, outside this lock ({@link #flush}); empty between deliveries. Its files stay in
     * {@link #completed} until their outcome is recorded; whatever would end one of them first waits for the delivery.
     */
    private List<Assembly> delivering = List.of();
    private AssemblyEvents events = AssemblyEvents.NONE;

    /**
     * What one consumer accepts, whatever records claim.
     *
     * @param maxFileSize
     *            a transfer claiming more is refused ({@code ferry.max-file-size})
     * @param maxUnfinished
     *            unfinished multi-chunk transfers at once; a new one beyond is refused with a failed receipt
     *            ({@code ferry.max-unfinished-transfers})
     * @param maxOpenFiles
     *            staging files open at once; the least recently written are synced and closed beyond it
     * @param quarantineRetention
     *            how long quarantined files are kept ({@code ferry.quarantine-retention})
     * @param evictIdle
     *            at the cap, an unfinished transfer idle this long is abandoned to make room for a new one
     */
    record Limits(long maxFileSize, int maxUnfinished, int maxOpenFiles, Duration quarantineRetention,
            Duration evictIdle) {

        /** Open staging files per assembler: far below any descriptor limit, enough for every file moving at once. */
        static final int MAX_OPEN_FILES = 64;

        /** An unfinished transfer idle this long may make room for a new one at the cap. */
        static final Duration EVICT_IDLE = Duration.ofMinutes(1);

        static final Limits DEFAULT = new Limits(1L << 40, 1000, MAX_OPEN_FILES, Duration.ofDays(7), EVICT_IDLE);
    }

    Assembler(Path stagingDir, Path quarantineDir, Journal journal, Deliverer deliverer, Receipts receipts,
            String instance, long syncIntervalNanos, long batchWindowNanos) throws IOException {
        this(stagingDir, quarantineDir, journal, deliverer, receipts, instance, syncIntervalNanos, batchWindowNanos,
                Limits.DEFAULT, new FailureReceipts());
    }

    /**
     * @param batchWindowNanos
     *            how long a complete file may wait for others to share its syncs (0: deliver at once)
     */
    Assembler(Path stagingDir, Path quarantineDir, Journal journal, Deliverer deliverer, Receipts receipts,
            String instance, long syncIntervalNanos, long batchWindowNanos, Limits limits, FailureReceipts failures)
            throws IOException {
        this.limits = limits;
        this.failures = failures;
        this.batchWindowNanos = batchWindowNanos;
        this.outbox = deliverer.outbox();
        this.staging = new Staging(outbox, stagingDir, journal, limits.maxOpenFiles());
        this.delivery = new Delivery(deliverer, receipts, Staging.openBelow(outbox, quarantineDir), instance,
                limits.quarantineRetention());
        this.receipts = receipts;
        this.instance = instance;
        this.syncIntervalNanos = syncIntervalNanos;
        // Transfers journaled before a restart; anything in staging without a journal entry is stale.
        for (Assembly a : staging.resume(receipts::isFinal)) {
            partitionOf(a).put(a);
        }
    }

    /** Where progress and outcomes are reported; told at once of the transfers resumed from the journal. */
    synchronized void events(AssemblyEvents events) {
        this.events = events;
        assemblies().forEach(a -> {
            events.started(a);
            events.staged(a);
        });
    }

    /**
     * Applies one record. {@code ack} acknowledges it; it is called now, or later when the file is finished.
     *
     * @throws InvalidRecordException
     *             the record contradicts what is known of its transfer (dead-letter it)
     * @throws UnsafePathException
     *             its path would leave the outbox (dead-letter it)
     */
    void accept(FerryRecord record, TopicPartition source, Runnable ack)
            throws InvalidRecordException, UnsafePathException, IOException {
        try (TransferLog.Scope log = TransferLog.about(record.transferId(), record.path())) {
            if (record instanceof Chunk c && c.index() == 0 && !receipts.isFinal(c.transferId())) {
                // Refuse an unsafe path before any byte of it is staged; its folders are made here, without the lock.
                OutboxPaths.prepare(outbox, c.path());
            }
            Write write;
            synchronized (this) {
                write = apply(record, source, ack);
            }
            if (write == null) {
                return;
            }
            if (write.started) {
                Assembly a = write.assembly;
                LOG.infof("Transfer %s (%s): assembling %d bytes in %d chunks from %s", a.transferId, a.path, a.size,
                        a.count, source);
            }
            // The bytes are written and hashed under the assembly's own lock only: records of other partitions, on
            // other threads, are staged meanwhile. Their bookkeeping below is short.
            FaultPoints.diskWrite();
            write.assembly.write(write.chunk);
            FaultPoints.reach(FaultPoints.Point.CONSUMER_STAGED);
            synchronized (this) {
                written(write);
            }
        }
    }

    /** A chunk to write to its assembly, decided under the assembler's lock and written outside it. */
    private record Write(Assembly assembly, Chunk chunk, Runnable ack, boolean started) {
    }

    /** @return the chunk to write to its staging file, or null if the record needs no write (it is handled) */
    private Write apply(FerryRecord record, TopicPartition source, Runnable ack)
            throws InvalidRecordException, UnsafePathException, IOException {
        awaitRoom(record.transferId());
        if (closed || stopped) {
            return null; // shutting down: not acknowledged, so read again after the restart
        }
        PartitionAssemblies partition = partitions.get(source);
        if (partition == null || !partition.isAssigned()) {
            // Read before its partition was revoked: the new owner handles it; finishing it here could race.
            return null;
        }
        String id = record.transferId();
        if (receipts.isFinal(id)) {
            skipFinished(partition.get(id), record);
            ack.run(); // finished (here or by another instance), read again
            return null;
        }
        Assembly current = partition.get(id);
        if (current == null) {
            current = fromOtherPartition(id, record);
        }
        if (current != null && record.attempt() < current.attempt) {
            ack.run(); // a superseded attempt, read again
            return null;
        }
        if (current != null && record.attempt() > current.attempt) {
            LOG.infof("Transfer %s (%s): attempt %d supersedes attempt %d", id, record.path(), record.attempt(),
                    current.attempt);
            discard(current);
            current = null;
        }
        if (record instanceof Abort abort) {
            if (current != null) {
                events.finished(current, TransferState.FAILED, null, "aborted by the producer: " + abort.reason(),
                        "attempt " + abort.attempt() + " discarded");
                discard(current);
            }
            ack.run();
            return null;
        }
        Chunk chunk = (Chunk) record;
        boolean started = current == null;
        if (current == null) {
            current = startOrRefuse(chunk, source);
            if (current == null) {
                ack.run();
                return null;
            }
        } else {
            current.checkMatches(chunk);
        }
        if (current.has(chunk.index())) {
            staged(current, ack); // a duplicate: nothing to write
            return null;
        }
        current.lastActivityNanos = System.nanoTime(); // not idle while its chunk is written: never expired meanwhile
        return new Write(current, chunk, ack, started);
    }

    /**
     * Waits while a record could collide with the delivery in flight (its transfer is in the batch) or would add to a
     * full queue of complete files ({@link #MAX_WAITING}). Waiting gives up the lock, so delivery and other partitions
     * go on.
     */
    private void awaitRoom(String transferId) throws InterruptedIOException {
        while (!closed && !stopped && (completed.size() >= MAX_WAITING || isDelivering(transferId))) {
            try {
                wait(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for a delivery");
            }
        }
    }

    private boolean isDelivering(String transferId) {
        for (Assembly a : delivering) {
            if (a.transferId.equals(transferId)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The chunk of {@code write} is in its staging file: the same steps as for a duplicate, unless it ended meanwhile.
     */
    private void written(Write write) throws IOException {
        Assembly a = write.assembly;
        PartitionAssemblies partition = partitions.get(a.source);
        if (closed || partition == null || !partition.isAssigned()) {
            // Revoked while it was written (the lock was free): not acknowledged, as if read just before the revoke.
            return;
        }
        if (partition.get(a.transferId) != a) {
            write.ack.run(); // its transfer ended meanwhile (refused, abandoned): the record has nothing left to do
            return;
        }
        staging.written(a);
        events.staged(a);
        staged(a, write.ack);
    }

    /** A record of a transfer a receipt says is finished; staged data of it here is dropped. */
    private void skipFinished(Assembly finishedElsewhere, FerryRecord record) throws IOException {
        String id = record.transferId();
        if (finishedElsewhere != null && finishedElsewhere.phase() != Assembly.Phase.DECIDED) {
            // Another instance delivered it while this one assembled it (the partition moved and came back).
            LOG.infof("Transfer %s (%s): delivered meanwhile by another instance; staged data dropped", id,
                    finishedElsewhere.path);
            discard(finishedElsewhere);
        }
        if (record instanceof Chunk c && c.index() == 0 && finishedElsewhere == null) {
            Receipt r = receipts.find(id).orElseThrow();
            LOG.infof("Transfer %s (%s): already %s as %s by %s (receipt); its chunks are skipped", id, c.path(),
                    r.outcome().name().toLowerCase(), r.target(), r.instance());
        }
    }

    /**
     * A chunk of a transfer with no state here: its first chunk starts it, unless the consumer is full; a later chunk
     * has lost its start.
     *
     * @return the new assembly, or null if the chunk is refused (its producer is told) and only acknowledged
     */
    private Assembly startOrRefuse(Chunk chunk, TopicPartition source)
            throws InvalidRecordException, UnsafePathException, IOException {
        if (chunk.index() > 0) {
            // The safe offset guarantees a transfer's first chunk is read before its others, so a later chunk with no
            // state means the start is gone for good: waiting would be forever.
            reportMissingStart(chunk, source);
            return null;
        }
        if (chunk.count() > 1 && unfinished() >= limits.maxUnfinished() && !evictIdlest()) {
            refuseForCapacity(chunk, source);
            return null;
        }
        return start(chunk, source);
    }

    /**
     * A chunk of {@code current} is staged: holds the acknowledgement of the transfer's first record read and
     * acknowledges the others, and queues the file for delivery once it is complete.
     */
    private void staged(Assembly current, Runnable ack) {
        if (current.heldAck == null) {
            current.heldAck = ack;
        } else {
            ack.run();
        }
        if (current.phase() != Assembly.Phase.RECEIVING && !completed.contains(current)) {
            if (completed.isEmpty()) {
                firstCompletedNanos = System.nanoTime();
            }
            staging.release(current);
            completed.add(current);
        }
    }

    synchronized void assign(Collection<TopicPartition> sources) {
        sources.forEach(tp -> partitions.computeIfAbsent(tp, PartitionAssemblies::new).assigned(true));
        // Their previous owner may have delivered files of them: see its receipts before delivering anything.
        delivery.receiptsStale();
    }

    /** The partitions behind {@code sources} now belong to another consumer, or to nobody. */
    synchronized void revoke(Collection<TopicPartition> sources) {
        // A delivery in flight ends first: its receipts must be in Kafka before the next owner reads the partition.
        awaitDelivery();
        // Complete but not yet delivered: leave them to the partition's next owner (or to us, if it comes back).
        completed.removeIf(a -> sources.contains(a.source));
        for (TopicPartition tp : sources) {
            PartitionAssemblies partition = partitions.get(tp);
            if (partition != null) {
                partition.revoke();
                if (partition.isEmpty()) {
                    partitions.remove(tp);
                }
            }
        }
    }

    /** Every transfer being assembled, of every partition. */
    private List<Assembly> assemblies() {
        List<Assembly> all = new ArrayList<>();
        partitions.values().forEach(p -> all.addAll(p.all()));
        return all;
    }

    /**
     * The transfer's state in another partition, for a record of a transfer this partition has not seen: an attempt
     * lives in one partition, but a later attempt may land elsewhere after partitions were added to the topic, and must
     * supersede the earlier one there.
     *
     * @throws InvalidRecordException
     *             a record of the same attempt in a second partition: no producer writes that
     */
    private Assembly fromOtherPartition(String transferId, FerryRecord record) throws InvalidRecordException {
        for (PartitionAssemblies other : partitions.values()) {
            Assembly a = other.get(transferId);
            if (a != null && a.attempt == record.attempt()) {
                throw new InvalidRecordException("transfer " + transferId + " attempt " + record.attempt()
                        + " is being assembled from " + a.source + "; a record of it came from another partition");
            }
            if (a != null) {
                return a;
            }
        }
        return null;
    }

    private PartitionAssemblies partitionOf(Assembly a) {
        return partitions.computeIfAbsent(a.source, PartitionAssemblies::new);
    }

    private boolean isAssigned(TopicPartition tp) {
        PartitionAssemblies partition = partitions.get(tp);
        return partition != null && partition.isAssigned();
    }

    /** The assembly is over here; a revoked partition left with nothing is forgotten too. */
    private void forget(Assembly a) {
        PartitionAssemblies partition = partitions.get(a.source);
        if (partition != null) {
            partition.remove(a);
            if (partition.isEmpty() && !partition.isAssigned()) {
                partitions.remove(a.source);
            }
        }
    }

    /** Syncs staged chunks and journals them, if the sync interval has passed. */
    void syncIfDue() throws IOException {
        synchronized (this) {
            if (System.nanoTime() - lastSync < syncIntervalNanos) {
                return;
            }
        }
        sync();
    }

    /**
     * Syncs staged chunks and journals them. The fsyncs run without this lock ({@link Staging#force}): the other
     * partitions' records go on being staged meanwhile.
     */
    void sync() throws IOException {
        List<Assembly> dirty;
        synchronized (this) {
            lastSync = System.nanoTime(); // a failed sync is retried at the next interval, not in a tight loop
            dirty = staging.dirty(assemblies(), completed::contains);
        }
        staging.force(dirty);
        synchronized (this) {
            staging.journal(dirty, assemblies(), completed::contains);
            lastSync = System.nanoTime();
        }
    }

    private static Receipt.Subject subjectOf(Chunk chunk, TopicPartition source) {
        return new Receipt.Subject(chunk.transferId(), chunk.attempt(), chunk.path(), chunk.size(), source.topic());
    }

    /** Multi-chunk transfers not yet complete: what {@link Limits#maxUnfinished} counts. */
    private int unfinished() {
        int n = 0;
        for (Assembly a : assemblies()) {
            if (a.phase() == Assembly.Phase.RECEIVING && a.count > 1) {
                n++;
            }
        }
        return n;
    }

    /**
     * Makes room for a new transfer at the cap by abandoning the unfinished transfer that has been idle longest, if it
     * has been idle for at least {@link Limits#evictIdle}: first chunks whose rest never comes (a dead producer, or
     * junk written to the topic) must not keep real transfers out until {@code ferry.incomplete-ttl}. Its producer, if
     * there is one, gets a failed receipt and sends the file again.
     *
     * @return true if a transfer was abandoned
     */
    private boolean evictIdlest() throws IOException {
        Assembly idlest = null;
        for (Assembly a : assemblies()) {
            if (a.phase() == Assembly.Phase.RECEIVING && a.count > 1
                    && (idlest == null || a.lastActivityNanos < idlest.lastActivityNanos)) {
                idlest = a;
            }
        }
        long idle = idlest == null ? 0 : System.nanoTime() - idlest.lastActivityNanos;
        if (idlest == null || idle < limits.evictIdle().toNanos()) {
            return false;
        }
        try (TransferLog.Scope log = TransferLog.about(idlest.transferId, idlest.path)) {
            String reason = "abandoned after " + idle / 1_000_000_000L + " s without a chunk to make room: the "
                    + "consumer holds ferry.max-unfinished-transfers (" + limits.maxUnfinished() + ")";
            events.finished(idlest, TransferState.EXPIRED, null, reason, "attempt " + idlest.attempt
                    + " abandoned with " + idlest.chunksReceived() + " of " + idlest.count + " chunks staged");
            discard(idlest);
            abandonedTransfers++;
            tellProducer(Delivery.subjectOf(idlest).failed(instance, reason));
        }
        return true;
    }

    /**
     * The consumer holds as many unfinished transfers as it may, all of them active: a new one is not the record's
     * fault, so it is not dead-lettered; its producer gets a failed receipt and sends the file again later, when
     * transfers have finished or expired. Its later chunks find no state and are skipped without a second receipt.
     */
    private void refuseForCapacity(Chunk chunk, TopicPartition source) {
        String reason = "the consumer holds " + limits.maxUnfinished()
                + " unfinished transfers, its cap (ferry.max-unfinished-transfers); send it again later";
        if (failures.wasReported(chunk.transferId(), chunk.attempt())) {
            return;
        }
        refusedForCapacity++;
        LOG.warnf("Transfer %s (%s) attempt %d refused: %s", chunk.transferId(), chunk.path(), chunk.attempt(), reason);
        tellProducer(subjectOf(chunk, source).failed(instance, reason));
    }

    /**
     * A record of this transfer was refused (dead-lettered): its attempt cannot complete here. Its producer is told, so
     * the file is failed visibly on both sides and sent again (a bounded number of times) instead of waiting forever.
     */
    synchronized void refused(String transferId, int attempt, String path, TopicPartition source, String reason,
            boolean dropAssembly) {
        try {
            awaitRoom(transferId);
        } catch (InterruptedIOException e) {
            return; // stopping: its producer is told by the next owner, or after the restart
        }
        PartitionAssemblies partition = partitions.get(source);
        Assembly current = partition == null ? null : partition.get(transferId);
        if (dropAssembly && current != null && current.attempt == attempt
                && current.phase() != Assembly.Phase.DECIDED) {
            try (TransferLog.Scope log = TransferLog.about(transferId, current.path)) {
                events.finished(current, TransferState.FAILED, null, "a record was refused: " + reason,
                        "attempt " + attempt + " discarded");
                discard(current);
            } catch (IOException e) {
                LOG.warnf("Transfer %s: staged data not removed (%s); removed after ferry.incomplete-ttl", transferId,
                        e.getMessage());
            }
        }
        tellProducer(new Receipt.Subject(transferId, attempt, path, 0, source.topic()).failed(instance,
                "a record was refused: " + reason));
    }

    /** Transfers refused because {@link Limits#maxUnfinished} was reached. */
    synchronized long refusedForCapacity() {
        return refusedForCapacity;
    }

    /** Unfinished multi-chunk transfers now, against {@link Limits#maxUnfinished}. */
    synchronized int unfinishedTransfers() {
        return unfinished();
    }

    int maxUnfinished() {
        return limits.maxUnfinished();
    }

    private void reportMissingStart(Chunk chunk, TopicPartition source) {
        if (failures.wasReported(chunk.transferId(), chunk.attempt())) {
            return;
        }
        failedTransfers++;
        LOG.errorf("Transfer %s (%s) attempt %d failed: chunk %d of %d arrived without the transfer's first chunk. "
                + "Either its first chunks aged out of the topic's retention (keep retention above the longest consumer "
                + "outage), or it was delivered before this consumer's state was lost. The producer's next attempt "
                + "sends it whole.", chunk.transferId(), chunk.path(), chunk.attempt(), chunk.index(), chunk.count());
        tellProducer(subjectOf(chunk, source).failed(instance,
                "chunk " + chunk.index() + " arrived without the transfer's first chunk"));
    }

    /**
     * A failure receipt lets a waiting producer send the file again. Queued and written in the background
     * ({@link #writeFailureReceipts}), so a flood of junk records never costs a Kafka round trip each.
     */
    private void tellProducer(Receipt failure) {
        failures.add(failure);
    }

    /** Writes the queued failure receipts; never over a delivery another instance recorded meanwhile. */
    void writeFailureReceipts() throws IOException {
        failures.flush(receipts);
    }

    /**
     * Removes unfinished transfers that received nothing for {@code ttl}: their producer died for good. The staged data
     * is deleted and the held acknowledgement released, so the committed offset can move past them again; a producer
     * that comes back starts a new attempt and sends the file whole.
     */
    synchronized void expireIncomplete(Duration ttl) throws IOException {
        long now = System.nanoTime();
        for (Assembly a : assemblies()) {
            long idle = now - a.lastActivityNanos;
            if (!completed.contains(a) && idle >= ttl.toNanos()) {
                expire(a, idle, ttl);
            }
        }
    }

    private void expire(Assembly a, long idle, Duration ttl) throws IOException {
        try (TransferLog.Scope log = TransferLog.about(a.transferId, a.path)) {
            events.finished(a, TransferState.EXPIRED, null,
                    "nothing received for " + idle / 1_000_000_000L + " s (ferry.incomplete-ttl " + ttl + ")",
                    "attempt " + a.attempt + " abandoned with " + a.chunksReceived() + " of " + a.count
                            + " chunks staged; removed, never delivered");
            discard(a);
            abandonedTransfers++;
            tellProducer(Delivery.subjectOf(a).failed(instance,
                    "abandoned after ferry.incomplete-ttl " + ttl + " without a chunk"));
        }
    }

    /**
     * Drops the staged data of transfers whose partition this instance no longer reads and which another instance has
     * finished since (its receipt says so). Their records never come here again, so without this their staging files
     * would stay until ferry.incomplete-ttl. Transfers of partitions still assigned are left to their records.
     */
    synchronized void dropFinishedElsewhere() throws IOException {
        for (Assembly a : assemblies()) {
            if (a.phase() != Assembly.Phase.DECIDED && !isAssigned(a.source) && receipts.isFinal(a.transferId)) {
                try (TransferLog.Scope log = TransferLog.about(a.transferId, a.path)) {
                    LOG.infof("Transfer %s (%s): finished by another instance after %s moved away; staged data "
                            + "dropped", a.transferId, a.path, a.source);
                    discard(a);
                }
            }
        }
    }

    /** Transfers removed by {@link #expireIncomplete} since start. */
    synchronized long abandonedTransfers() {
        return abandonedTransfers;
    }

    /** Transfers that could not be assembled because their first chunk never came. */
    synchronized long failedTransfers() {
        return failedTransfers;
    }

    synchronized int inProgress() {
        return partitions.values().stream().mapToInt(p -> p.all().size()).sum();
    }

    /**
     * Logs transfers that made no progress for {@code idleNanos}, once per stall. The connector's own age check is off
     * (a large file legitimately keeps its first record unacknowledged for long), so this is where a producer that died
     * mid-file becomes visible.
     */
    synchronized void warnStalled(long idleNanos) {
        long now = System.nanoTime();
        for (Assembly a : assemblies()) {
            long idle = now - a.lastActivityNanos;
            if (idle >= idleNanos && !a.stallReported) {
                a.stallReported = true;
                try (TransferLog.Scope log = TransferLog.about(a.transferId, a.path)) {
                    LOG.warnf("Transfer %s (%s): no chunk for %d s, %d of %d chunks staged; waiting for the producer",
                            a.transferId, a.path, idle / 1_000_000_000L, a.chunksReceived(), a.count);
                }
            }
        }
    }

    private Assembly start(Chunk chunk, TopicPartition source)
            throws InvalidRecordException, UnsafePathException, IOException {
        if (chunk.size() > limits.maxFileSize()) {
            throw new InvalidRecordException("transfer claims " + chunk.size() + " bytes, more than this consumer takes"
                    + " (ferry.max-file-size " + limits.maxFileSize() + ")");
        }
        // Its path was checked and its folders made before the lock was taken (accept), so nothing is staged of a
        // path that could leave the outbox.
        Assembly a = staging.start(chunk, source);
        partitionOf(a).put(a);
        events.started(a);
        return a;
    }

    /** Delivers the batch if it is full or its oldest file has waited the batch window. */
    void flushIfDue() throws IOException {
        synchronized (this) {
            if (completed.isEmpty()
                    || completed.size() < MAX_BATCH && System.nanoTime() - firstCompletedNanos < batchWindowNanos) {
                return;
            }
        }
        flush();
    }

    /**
     * Delivers every complete file waiting ({@link Delivery}), then ends their assemblies here: staging file and
     * journal entry removed, held acknowledgements released. Only now may the offsets move.
     * <p>
     * The delivery itself (fsyncs, links, the receipts' round trip to Kafka) runs without this lock: records go on
     * being staged meanwhile, and the next batch fills while this one is recorded. One delivery at a time.
     * <p>
     * If delivery fails (disk full, receipts topic unreachable), the batch stays queued and the next call resumes it.
     */
    void flush() throws IOException {
        List<Assembly> batch;
        synchronized (this) {
            awaitDelivery();
            if (completed.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(completed);
            delivering = batch;
        }
        List<Delivery.Outcome> outcomes = null;
        List<Runnable> acks = new ArrayList<>();
        try {
            outcomes = delivery.deliver(batch);
        } finally {
            synchronized (this) {
                delivering = List.of();
                if (outcomes != null) {
                    for (Delivery.Outcome outcome : outcomes) {
                        acks.add(end(outcome.assembly()));
                    }
                }
                notifyAll(); // room in the queue of complete files, and records of these transfers may go on
            }
        }
        // The rest is each file's own (its outcome line, staging file and journal entry), done without the lock so
        // records go on being staged meanwhile; its offset is released last.
        for (int i = 0; i < outcomes.size(); i++) {
            finish(outcomes.get(i).assembly(), outcomes.get(i).decision(), acks.get(i));
        }
        FaultPoints.reach(FaultPoints.Point.CONSUMER_RELEASED);
    }

    /**
     * Takes no more records (they stay unacknowledged and are read again after the restart), and lets records that wait
     * for room go; what is complete is still delivered by {@link #flush}.
     */
    synchronized void stopTaking() {
        stopped = true;
        notifyAll();
    }

    /** Waits (giving up the lock) until no delivery is in flight. */
    private void awaitDelivery() {
        while (!delivering.isEmpty()) {
            try {
                wait(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a delivery", e);
            }
        }
    }

    /**
     * The file's outcome is recorded: it leaves the assembler's state.
     *
     * @return its held acknowledgement, to release once its staging file is gone; never null
     */
    private Runnable end(Assembly a) {
        staging.release(a);
        forget(a);
        completed.remove(a);
        Runnable held = a.heldAck;
        a.heldAck = null;
        return held != null ? held : () -> {
        };
    }

    /** Reports the outcome, removes the staging file and journal entry, and releases the offset. */
    private void finish(Assembly a, Delivery.Decision decision, Runnable ack) {
        try (TransferLog.Scope log = TransferLog.about(a.transferId, a.path)) {
            if (decision.end() != null) {
                events.finished(a, decision.end(), decision.sha256(), decision.reason(), decision.note());
            }
            staging.delete(a);
        } catch (IOException e) {
            // Its receipt is recorded: what is left is found stale and removed at the next start.
            LOG.warnf("Transfer %s (%s): staging file or journal entry not removed (%s); removed at the next start",
                    a.transferId, a.path, e.getMessage());
        }
        ack.run();
    }

    /** Deletes quarantined files older than {@link Limits#quarantineRetention}; at most once a minute. */
    synchronized void sweepQuarantine() throws IOException {
        delivery.sweepQuarantine();
    }

    private void discard(Assembly a) throws IOException {
        events.dropped(a);
        completed.remove(a);
        staging.remove(a);
        forget(a);
        release(a);
    }

    private static void release(Assembly a) {
        Runnable held = a.heldAck;
        a.heldAck = null;
        if (held != null) {
            held.run();
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        flush();
        closed = true;
        sync();
        assemblies().forEach(Assembly::close);
        delivery.close();
        staging.close();
    }

}
