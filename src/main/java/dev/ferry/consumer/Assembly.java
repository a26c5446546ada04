package dev.ferry.consumer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.BitSet;

import dev.ferry.chunk.Chunk;

/**
 * One file being put back together from its chunks, in a staging file on the outbox's file system. Chunks are written
 * at their byte offset, so order and duplicates do not matter; a bit set records which chunks are staged
 * ({@link #received}) and which of those are fsynced and journaled ({@link #durable}).
 */
final class Assembly {

    final String transferId;
    final int attempt;
    final String path;
    final long size;
    final int count;
    final long modifiedMillis;
    final int mode;
    final Path staging;
    final BitSet received;
    final BitSet durable;

    /** Where its records come from ({@code topic-partition}); its chunks are only accepted from there. */
    String source;
    byte[] expectedSha256;
    /** Acknowledges the earliest record of this transfer read since its partition was (re)assigned. */
    Runnable heldAck;
    long lastActivityNanos = System.nanoTime();
    boolean stallReported;
    /** Complete and waiting in the delivery batch. */
    boolean queued;
    boolean dirty;
    /** Delivery decided (published, quarantined or found finished); a retried flush does not decide again. */
    boolean decided;
    /** The receipt to record for it, once decided; null if none is due (finished before). */
    dev.ferry.receipt.Receipt receipt;
    /** The folder whose entry must be synced before the receipt is recorded. */
    Path folder;

    private FileChannel channel;
    /** SHA-256 over chunks 0..nextToHash-1, kept while chunks arrive in order; otherwise the file is re-read. */
    private MessageDigest runningHash = Hashing.sha256();
    private int nextToHash;

    Assembly(Chunk first, String source, Path staging, BitSet durable) {
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
        this.received = (BitSet) durable.clone();
        if (!durable.isEmpty()) {
            // Resumed from the journal: the staged prefix was not hashed in this process.
            runningHash = null;
        }
    }

    /** True if {@code chunk} describes the same file as the first chunk seen. */
    boolean matches(Chunk chunk) {
        return chunk.size() == size && chunk.count() == count && chunk.path().equals(path);
    }

    boolean has(int index) {
        return received.get(index);
    }

    boolean isComplete() {
        return received.cardinality() == count && expectedSha256 != null;
    }

    void write(Chunk chunk) throws IOException {
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
        received.set(chunk.index());
        if (chunk.isLast()) {
            expectedSha256 = chunk.sha256();
        }
        dirty = true;
        lastActivityNanos = System.nanoTime();
        stallReported = false;
    }

    /** Flushes staged bytes to disk; afterwards everything received is durable. */
    void force() throws IOException {
        if (channel != null) {
            channel.force(false);
        }
        durable.or(received);
        dirty = false;
    }

    /** SHA-256 of the staged file: from the running hash if chunks came in order, else by reading it back. */
    byte[] sha256() throws IOException {
        if (runningHash != null && nextToHash == count) {
            return runningHash.digest();
        }
        return Hashing.sha256(staging);
    }

    long stagedSize() throws IOException {
        return channel().size();
    }

    void close() {
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
