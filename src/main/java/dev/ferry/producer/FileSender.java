package dev.ferry.producer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.jboss.logging.Logger;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;

/**
 * Cuts one file into chunks and sends them: the one place that decides how a file is cut. The file is read once,
 * sequentially, one chunk-sized buffer at a time, and hashed in the same pass; at most {@code window} chunks wait for
 * the broker's acknowledgement, so memory stays flat whatever the file size.
 * <p>
 * The hash only covers the bytes read, so before the last chunk (which carries the hash) the file is stat'ed again; if
 * it changed at all, or a send failed, the attempt ends with an {@link Abort} record instead, and the consumer discards
 * what it has.
 */
final class FileSender {

    private static final Logger LOG = Logger.getLogger(FileSender.class);

    enum Result {
        /** Every chunk is acknowledged by the broker. */
        SENT,
        /** The file changed while it was read; send it again once it settles. */
        CHANGED,
        /** A send failed or the file could not be read; retry later. */
        FAILED,
        /** The producer is stopping; the attempt was ended cleanly and the next start sends the file again. */
        STOPPED
    }

    /** How long a stopping producer waits for acknowledgements and its abort record: well within a 30 s grace. */
    static final long STOP_WAIT_SECONDS = 10;

    private volatile boolean stopping;

    interface Publisher {
        /** The partition for a new attempt of this transfer; all its records go there. */
        int partitionFor(String transferId);

        CompletionStage<Void> send(FerryRecord record, int partition);
    }

    private final Publisher publisher;
    private final int chunkSize;
    private final int window;
    private final RateLimiter rateLimiter;
    private final Path inbox;
    private final ChunkBuffers buffers;
    private final Semaphore shared;

    /**
     * @param window
     *            chunks of one file that may wait for the broker's acknowledgement at once
     */
    FileSender(Publisher publisher, Path inbox, int chunkSize, int totalWindow, int filesInFlight,
            RateLimiter rateLimiter) {
        this.publisher = publisher;
        this.inbox = inbox;
        this.chunkSize = chunkSize;
        // One file may use half of the shared window, so a single large file streams at full speed while several
        // files still share it fairly; the shared window bounds the producer's memory.
        this.window = Math.max(2, totalWindow / 2);
        this.shared = new Semaphore(totalWindow);
        this.rateLimiter = rateLimiter;
        this.buffers = new ChunkBuffers(chunkSize, totalWindow + filesInFlight);
    }

    Result send(FileState state, String transferId, int attempt) throws InterruptedException {
        String path = state.relativePath();
        int count = Chunk.countFor(state.size(), chunkSize);
        Semaphore inFlight = new Semaphore(window);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        MessageDigest sha = sha256();
        int partition;
        try {
            partition = publisher.partitionFor(transferId);
        } catch (RuntimeException e) {
            LOG.warnf("Transfer %s (%s): no partition for it yet: %s", transferId, path, e);
            return Result.FAILED;
        }
        try (FileChannel in = FileChannel.open(state.file(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long offset = 0;
            for (int index = 0; index < count; index++) {
                if (stopping) {
                    return abort(transferId, attempt, partition, path, inFlight, Result.STOPPED, "producer stopping");
                }
                int length = (int) Math.min(chunkSize, state.size() - offset);
                byte[] data = buffers.take(length);
                if (!readFully(in, data, offset)) {
                    buffers.release(data);
                    return abort(transferId, attempt, partition, path, inFlight, Result.CHANGED,
                            "file shrank while it was read");
                }
                sha.update(data);
                byte[] digest = null;
                if (index == count - 1) {
                    if (in.size() != state.size() || state.changedOnDisk(inbox)) {
                        buffers.release(data);
                        return abort(transferId, attempt, partition, path, inFlight, Result.CHANGED,
                                "file changed while it was read");
                    }
                    digest = sha.digest();
                }
                if (rateLimiter != null) {
                    rateLimiter.acquire(length);
                }
                if (!acquire(inFlight, failure)) {
                    buffers.release(data);
                    return abort(transferId, attempt, partition, path, inFlight, Result.FAILED,
                            "send failed: " + failure.get());
                }
                Chunk chunk = new Chunk(transferId, attempt, path, index, count, offset, state.size(),
                        state.modifiedMillis(), state.mode(), data, digest);
                publisher.send(chunk, partition).whenComplete((ok, error) -> {
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    }
                    // The broker answered, so the producer copied the bytes long ago: the buffer is free.
                    buffers.release(data);
                    shared.release();
                    inFlight.release();
                });
                offset += length;
                if (index == count - 1) {
                    LOG.debugf("Transfer %s (%s) read: %d bytes, sha256 %s", transferId, path, state.size(),
                            HexFormat.of().formatHex(digest));
                }
            }
        } catch (IOException e) {
            return abort(transferId, attempt, partition, path, inFlight, Result.FAILED,
                    "cannot read file: " + e.getMessage());
        }
        // Wait for every acknowledgement: only then may the source policy run.
        inFlight.acquire(window);
        inFlight.release(window);
        if (failure.get() != null) {
            return abort(transferId, attempt, partition, path, inFlight, Result.FAILED,
                    "send failed: " + failure.get());
        }
        return Result.SENT;
    }

    /** Takes a place in this file's window and in the shared one; false if a send already failed. */
    /**
     * Graceful stop: attempts in progress read no further chunk, wait for the acknowledgements of what is in flight,
     * and end with an abort record, so the consumer discards them at once instead of waiting for a later attempt.
     */
    void stop() {
        stopping = true;
    }

    private boolean acquire(Semaphore inFlight, AtomicReference<Throwable> failure) throws InterruptedException {
        if (!acquire(inFlight, failure, null)) {
            return false;
        }
        if (!acquire(shared, failure, inFlight)) {
            return false;
        }
        return true;
    }

    private static boolean acquire(Semaphore semaphore, AtomicReference<Throwable> failure, Semaphore undo)
            throws InterruptedException {
        while (!semaphore.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            if (failure.get() != null) {
                if (undo != null) {
                    undo.release();
                }
                return false;
            }
        }
        if (failure.get() != null) {
            semaphore.release();
            if (undo != null) {
                undo.release();
            }
            return false;
        }
        return true;
    }

    private Result abort(String transferId, int attempt, int partition, String path, Semaphore inFlight, Result result,
            String reason) throws InterruptedException {
        // Let what is in flight settle first: the abort must be the attempt's last record.
        inFlight.tryAcquire(window, stopping ? STOP_WAIT_SECONDS : 120, TimeUnit.SECONDS);
        // A clean stop is routine; any other abort deserves attention.
        LOG.logf(result == Result.STOPPED ? Logger.Level.INFO : Logger.Level.WARN,
                "Transfer %s (%s) attempt %d aborted: %s", transferId, path, attempt, reason);
        try {
            publisher.send(new Abort(transferId, attempt, path, reason), partition).toCompletableFuture()
                    .get(stopping ? STOP_WAIT_SECONDS : 120, TimeUnit.SECONDS);
        } catch (Exception e) {
            // The consumer then learns of the end of this attempt from the next attempt's higher number.
            LOG.warnf("Transfer %s: abort record for attempt %d not acknowledged: %s", transferId, attempt, e);
        }
        return result;
    }

    private static boolean readFully(FileChannel in, byte[] data, long offset) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
            int n = in.read(buffer, offset + buffer.position());
            if (n < 0) {
                return false;
            }
        }
        return true;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
