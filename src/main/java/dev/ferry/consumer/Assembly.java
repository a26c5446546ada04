package dev.ferry.consumer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

import org.apache.kafka.common.TopicPartition;
import org.roaringbitmap.RoaringBitmap;

import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.Hashing;
import dev.ferry.chunk.InvalidRecordException;

/**
 * One file being put back together from its chunks, in a staging file on the outbox's file system. Chunks are written
 * at their byte offset, so order and duplicates do not matter; a bitmap records which chunks are staged
 * ({@link #received}) and which of those are fsynced and journaled ({@link #durable}).
 * <p>
 * What it costs is bounded by what arrived, never by what a record claims: the bitmaps are compressed (a claimed count
 * allocates nothing), and the staging file is open only while chunks arrive ({@link #closeIdle}); the {@link Assembler}
 * closes the least recently written ones beyond its cap of open files.
 * <p>
 * Its own lock guards its file and bitmaps: a chunk is written while the assembler's lock is free (so other partitions'
 * records go on meanwhile), and the assembler's housekeeping and delivery sync or close it from other threads. Whoever
 * holds both takes the assembler's first.
 */
final class Assembly {

    /** The life of an assembly; it ends when its delivery is recorded or it is discarded. */
    enum Phase {
        /** Chunks are still missing (or the last chunk, which carries the SHA-256). */
        RECEIVING,
        /** Every chunk is staged: ready to be verified and delivered. */
        COMPLETE,
        /** Delivered, quarantined or found finished before; its receipt may not be recorded yet. */
        DECIDED
    }

    final String transferId;
    final int attempt;
    final String path;
    final long size;
    final int count;
    /** Bytes of every chunk but the last: fixed by the first chunk, so every other chunk must agree with it. */
    final long chunkLength;
    final long modifiedMillis;
    final int mode;
    final Path staging;
    final RoaringBitmap received;
    final RoaringBitmap durable;
    /** The partition its records come from; a record of this attempt from another one is refused. */
    final TopicPartition source;

    volatile byte[] expectedSha256;
    /** Acknowledges the earliest record of this transfer read since its partition was (re)assigned. */
    Runnable heldAck;
    volatile long lastActivityNanos = System.nanoTime();
    volatile boolean stallReported;
    volatile boolean dirty;
    /** It has an entry in the {@link Journal} (guarded by the assembler's lock): only then is one deleted. */
    boolean journaled;
    /** How its delivery ended here, once decided ({@link Delivery}); a retried delivery does not decide again. */
    Delivery.Decision decision;
    /** When a chunk was last written, for closing idle staging files. */
    volatile long lastWriteNanos = System.nanoTime();

    private FileChannel channel;
    /** Over: its staging file is removed or about to be, and no chunk is written to it any more. */
    private boolean ended;
    /** SHA-256 over chunks 0..nextToHash-1, kept while chunks arrive in order; otherwise the file is re-read. */
    private MessageDigest runningHash = Hashing.sha256();
    private int nextToHash;

    Assembly(Chunk first, TopicPartition source, Path staging, RoaringBitmap durable) {
        this(first, first.count() == 1 ? first.size() : first.data().length, source, staging, durable);
    }

    /** For a transfer resumed from the journal, whose first chunk is not at hand. */
    Assembly(Chunk description, long chunkLength, TopicPartition source, Path staging, RoaringBitmap durable) {
        Chunk first = description;
        this.chunkLength = chunkLength;
        this.transferId = first.transferId();
        this.attempt = first.attempt();
        this.path = first.path();
        this.size = first.size();
        this.count = first.count();
        this.modifiedMillis = first.modifiedMillis();
        this.mode = first.mode();
        this.source = source;
        this.staging = staging;
        this.durable = durable;
        this.received = durable.clone();
        if (!durable.isEmpty()) {
            // Resumed from the journal: the staged prefix was not hashed in this process.
            runningHash = null;
        }
    }

    /**
     * Checks that {@code chunk} describes the same file as the first chunk seen and sits on its grid: the wire format
     * checked each chunk on its own; only here is it known that all of a transfer's chunks agree.
     *
     * @throws InvalidRecordException
     *             naming both descriptions
     */
    void checkMatches(Chunk chunk) throws InvalidRecordException {
        boolean onGrid = chunk.isLast() ? chunk.offset() == (long) chunk.index() * chunkLength
                : chunk.data().length == chunkLength;
        if (chunk.size() != size || chunk.count() != count || !chunk.path().equals(path) || !onGrid) {
            throw new InvalidRecordException("chunk " + chunk.index() + " of transfer " + transferId + " attempt "
                    + chunk.attempt() + " says " + chunk.path() + ", " + chunk.size() + " bytes, " + chunk.count()
                    + " chunks of " + (chunk.isLast() ? "?" : chunk.data().length) + " bytes; earlier chunks said "
                    + path + ", " + size + " bytes, " + count + " chunks of " + chunkLength + " bytes");
        }
    }

    synchronized boolean has(int index) {
        return received.contains(index);
    }

    /** Chunks staged so far. */
    synchronized int chunksReceived() {
        return received.getCardinality();
    }

    /**
     * Where it stands, derived from what arrived and what was decided, so it can never disagree with them. Whether a
     * complete file waits in the delivery batch is the {@link Assembler}'s to know (a revoked partition takes its files
     * out of the batch, whatever their phase).
     */
    synchronized Phase phase() {
        if (decision != null) {
            return Phase.DECIDED;
        }
        return received.getCardinality() == count && expectedSha256 != null ? Phase.COMPLETE : Phase.RECEIVING;
    }

    synchronized void write(Chunk chunk) throws IOException {
        if (ended) {
            return; // ended by another thread just before (its staging file is gone): not opened again
        }
        ByteBuffer data = ByteBuffer.wrap(chunk.data());
        FileChannel out = channel();
        while (data.hasRemaining()) {
            out.write(data, chunk.offset() + data.position());
        }
        if (runningHash != null) {
            if (chunk.index() == nextToHash) {
                runningHash.update(chunk.data());
                nextToHash++;
            } else {
                runningHash = null;
            }
        }
        received.add(chunk.index());
        if (chunk.isLast()) {
            expectedSha256 = chunk.sha256();
        }
        dirty = true;
        lastActivityNanos = System.nanoTime();
        lastWriteNanos = lastActivityNanos;
        stallReported = false;
    }

    /**
     * Flushes staged bytes to disk; afterwards everything received is durable. A file with nothing written since its
     * last sync costs no system call (delivery forces every file of its batch, most of them synced already).
     */
    synchronized void force() throws IOException {
        if (channel != null && dirty) {
            channel.force(false);
        }
        durable.or(received);
        dirty = false;
    }

    synchronized boolean isOpen() {
        return channel != null;
    }

    /**
     * Syncs and closes the staging file, to keep open files bounded; the next chunk opens it again. Synced first: a
     * write-back error on a file no descriptor holds open could go unreported to a later descriptor's fsync, and staged
     * data is only ever trusted once a sync of it succeeded.
     */
    synchronized void closeIdle() throws IOException {
        if (channel != null) {
            if (dirty) {
                channel.force(false);
            }
            durable.or(received);
            close();
        }
    }

    /** SHA-256 of the staged file: from the running hash if chunks came in order, else by reading it back. */
    synchronized byte[] sha256() throws IOException {
        if (runningHash != null && nextToHash == count) {
            return runningHash.digest();
        }
        return Hashing.sha256(staging);
    }

    synchronized long stagedSize() throws IOException {
        // Not through channel(): that would open the file again after it was closed for delivery, and leak it.
        return channel != null ? channel.size() : Files.size(staging);
    }

    /** Closes it for good: a chunk being written elsewhere at this moment does not open its file again. */
    synchronized void end() {
        ended = true;
        close();
    }

    synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Closing a file we are about to rename or delete; nothing to recover.
            }
            channel = null;
        }
    }

    private FileChannel channel() throws IOException {
        if (channel == null) {
            channel = FileChannel.open(staging, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
        }
        return channel;
    }
}
