package dev.ferry.producer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import org.jboss.logging.Logger;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.Hashing;
import dev.ferry.kafka.KafkaRefusal;

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
        /** A send failed or the file could not be read part-way; retry later. */
        FAILED,
        /** The producer is stopping; how far the attempt got is recorded and the next start resumes it. */
        STOPPED
    }

    /** How long a stopping producer waits for acknowledgements and its abort record: well within a 30 s grace. */
    static final long STOP_WAIT_SECONDS = 10;

    /** How often the acknowledged prefix of a file is recorded: bounds what a restart sends again. */
    static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

    private final Publisher publisher;
    private final int chunkSize;
    private final int window;
    private final RateLimiter rateLimiter;
    private final Path inbox;
    private final ChunkBuffers buffers;
    private final Semaphore shared;
    private final long ackTimeoutNanos;

    private volatile boolean stopping;

    /** The file could not be opened (permissions, I/O): nothing was sent; it is retried later. */
    static final class UnreadableFile extends IOException {
        UnreadableFile(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    interface Publisher {
        CompletionStage<Void> send(FerryRecord record, int partition);
    }

    /**
     * @param totalWindow
     *            chunks that may wait for the broker's acknowledgement at once, over all files
     * @param ackTimeout
     *            how long Kafka may stay silent (no acknowledgement, no failure) while chunks are in flight before the
     *            attempt counts as failed: the producer's own timeouts ({@code max.block.ms} and
     *            {@code delivery.timeout.ms}) plus a margin, so a send whose answer is lost cannot hang an attempt
     */
    FileSender(Publisher publisher, Path inbox, int chunkSize, int totalWindow, int filesInFlight,
            RateLimiter rateLimiter, Duration ackTimeout) {
        this.ackTimeoutNanos = ackTimeout.toNanos();
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

    /** Where a sender records how far an attempt got, so a restart can resume it. */
    interface Progress {
        /** Chunks {@code 0..next-1} are all acknowledged by the broker. */
        void acknowledged(int next) throws IOException;

        /** The whole file was read: its SHA-256, as its last chunk carries it. */
        default void hashed(byte[] sha256) {
        }
    }

    /** Ends an attempt a previous process left open, e.g. because its file changed while the producer was down. */
    void abandon(String transferId, int attempt, int partition, String path, String reason)
            throws InterruptedException {
        abort(transferId, attempt, partition, path, new Semaphore(window), Result.FAILED, reason);
    }

    /**
     * Sends chunks {@code from..count-1} of one attempt to {@code partition}; chunks before {@code from} were
     * acknowledged before a restart and are only read again, for the hash.
     */
    Result send(FileState state, String transferId, int attempt, int partition, int from, Progress progress)
            throws InterruptedException, UnreadableFile {
        String path = state.relativePath();
        int count = Chunk.countFor(state.size(), chunkSize);
        Semaphore inFlight = new Semaphore(window);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AckedPrefix acked = new AckedPrefix(from);
        Silence silence = new Silence(inFlight);
        MessageDigest sha = Hashing.sha256();
        FileChannel opened;
        try {
            opened = InboxFiles.open(inbox, state);
        } catch (InboxFiles.NotTheScannedFile e) {
            return abort(transferId, attempt, partition, path, inFlight, Result.CHANGED, e.getMessage());
        } catch (IOException e) {
            throw new UnreadableFile(e);
        }
        try (FileChannel in = opened) {
            long offset = rehash(in, sha, from, state.size());
            if (offset < 0) {
                return abort(transferId, attempt, partition, path, inFlight, Result.CHANGED,
                        "file shrank before the resume point");
            }
            long lastProgress = System.nanoTime();
            for (int index = from; index < count; index++) {
                if (stopping) {
                    return stop(transferId, attempt, path, inFlight, acked, progress);
                }
                int length = (int) Math.min(chunkSize, state.size() - offset);
                if (rateLimiter != null) {
                    rateLimiter.acquire(length);
                }
                // A place in the windows first, then the buffer: memory stays within the send buffer however many
                // files are read at once.
                if (!acquire(inFlight, failure, silence)) {
                    return abort(transferId, attempt, partition, path, inFlight, Result.FAILED,
                            "send failed: " + sendFailure(failure.get()));
                }
                byte[] data = buffers.take(length);
                String changed = null;
                byte[] digest = null;
                try {
                    if (!readFully(in, data, offset)) {
                        changed = "file shrank while it was read";
                    } else {
                        sha.update(data);
                        if (index == count - 1) {
                            if (in.size() != state.size() || state.changedOnDisk(inbox)) {
                                changed = "file changed while it was read";
                            } else {
                                digest = sha.digest();
                                progress.hashed(digest);
                            }
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    giveBack(data, inFlight);
                    throw e;
                }
                if (changed != null) {
                    giveBack(data, inFlight);
                    return abort(transferId, attempt, partition, path, inFlight, Result.CHANGED, changed);
                }
                Chunk chunk = new Chunk(transferId, attempt, path, index, count, offset, state.size(),
                        state.modifiedMillis(), state.mode(), data, digest);
                int sent = index;
                silence.answered(); // the clock starts with the oldest unanswered send
                publisher.send(chunk, partition).whenComplete((ok, error) -> {
                    silence.answered();
                    if (error != null) {
                        failure.compareAndSet(null, error);
                    } else {
                        acked.add(sent);
                    }
                    // The broker answered, so the producer copied the bytes long ago: the buffer is free.
                    buffers.release(data);
                    shared.release();
                    inFlight.release();
                });
                offset += length;
                if (System.nanoTime() - lastProgress >= PROGRESS_INTERVAL_NANOS) {
                    lastProgress = System.nanoTime();
                    progress.acknowledged(acked.next());
                }
                if (index == count - 1) {
                    LOG.debugf("Transfer %s (%s) read: %d bytes, sha256 %s", transferId, path, state.size(),
                            HexFormat.of().formatHex(digest));
                }
            }
        } catch (IOException e) {
            return abort(transferId, attempt, partition, path, inFlight, Result.FAILED,
                    "cannot read file or record progress: " + e.getMessage());
        }
        // Wait for every acknowledgement: only then is the file sent.
        while (!inFlight.tryAcquire(window, 100, TimeUnit.MILLISECONDS)) {
            if (silence.tooLong(failure)) {
                return abort(transferId, attempt, partition, path, inFlight, Result.FAILED,
                        "send failed: " + sendFailure(failure.get()));
            }
        }
        inFlight.release(window);
        if (failure.get() != null) {
            return abort(transferId, attempt, partition, path, inFlight, Result.FAILED,
                    "send failed: " + sendFailure(failure.get()));
        }
        return Result.SENT;
    }

    /**
     * Hashes chunks {@code 0..from-1} without sending them; returns the offset after them, or -1 if the file is short.
     */
    private long rehash(FileChannel in, MessageDigest sha, int from, long size) throws IOException {
        long end = Math.min(size, (long) from * chunkSize);
        if (from == 0) {
            return 0;
        }
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        long offset = 0;
        while (offset < end) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), end - offset));
            int n = in.read(buffer, offset);
            if (n < 0) {
                return -1;
            }
            sha.update(buffer.array(), 0, n);
            offset += n;
        }
        return offset;
    }

    /**
     * Graceful stop mid-file: wait for what is in flight and record how far the file got; no abort, so the restarted
     * producer resumes this attempt where its acknowledged chunks end and the consumer keeps what it staged.
     */
    private Result stop(String transferId, int attempt, String path, Semaphore inFlight, AckedPrefix acked,
            Progress progress) throws InterruptedException {
        inFlight.tryAcquire(window, STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        int next = acked.next();
        try {
            progress.acknowledged(next);
        } catch (IOException e) {
            LOG.warnf("Transfer %s: progress not recorded: %s", transferId, e.getMessage());
        }
        LOG.infof("Transfer %s (%s) attempt %d paused at chunk %d: the producer is stopping; a restart resumes it",
                transferId, path, attempt, next);
        return Result.STOPPED;
    }

    /** The acknowledged prefix of an attempt: acknowledgements may complete out of order. */
    private static final class AckedPrefix {
        private final BitSet acked = new BitSet();
        private int next;

        AckedPrefix(int from) {
            this.next = from;
        }

        synchronized void add(int index) {
            acked.set(index);
            while (acked.get(next)) {
                next++;
            }
        }

        synchronized int next() {
            return next;
        }
    }

    /**
     * Graceful stop: attempts in progress read no further chunk, wait for the acknowledgements of what is in flight and
     * record how far they got, so a restart resumes them.
     */
    void stop() {
        stopping = true;
    }

    /**
     * Notices a Kafka that stopped answering. The client normally fails a send after {@code delivery.timeout.ms}, but a
     * send still waiting for metadata or buffer space, or an answer lost between client and connector, would leave an
     * attempt waiting forever; so would a broker that is gone for longer than the client blocks.
     */
    private final class Silence {
        private final Semaphore inFlight;
        private volatile long lastAnswer = System.nanoTime();

        Silence(Semaphore inFlight) {
            this.inFlight = inFlight;
        }

        void answered() {
            lastAnswer = System.nanoTime();
        }

        /** True, and the attempt failed, if chunks are in flight and Kafka said nothing for the ack timeout. */
        boolean tooLong(AtomicReference<Throwable> failure) {
            if (failure.get() != null) {
                return true;
            }
            long silent = System.nanoTime() - lastAnswer;
            if (inFlight.availablePermits() < window && silent > ackTimeoutNanos) {
                failure.compareAndSet(null, new TimeoutException("no acknowledgement from Kafka for "
                        + silent / 1_000_000_000L + " s with chunks in flight (max.block.ms + delivery.timeout.ms)"));
                return true;
            }
            return false;
        }
    }

    /**
     * A failed send in words: what Kafka said, without the wrappers of the client and the connector. The connector
     * reports an expired send as "Retries exhausted : 0 attempts against .../... expiration", which reads as if nothing
     * had been tried; it means the broker did not acknowledge within the delivery timeout.
     */
    static String sendFailure(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        Optional<String> refused = KafkaRefusal.explain(t);
        if (refused.isPresent()) {
            return refused.get();
        }
        if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).startsWith("Retries exhausted")) {
            return "Kafka did not acknowledge the chunk within the delivery timeout (delivery.timeout.ms)"
                    + (t.getCause() != null ? ": " + t.getCause().getMessage() : "");
        }
        return t.getMessage() == null ? t.getClass().getSimpleName()
                : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Returns a chunk's buffer and window places that were taken for a chunk not sent. */
    private void giveBack(byte[] data, Semaphore inFlight) {
        buffers.release(data);
        shared.release();
        inFlight.release();
    }

    /** Takes a place in this file's window and in the shared one; false if a send already failed. */
    private boolean acquire(Semaphore inFlight, AtomicReference<Throwable> failure, Silence silence)
            throws InterruptedException {
        if (!acquire(inFlight, failure, silence, null)) {
            return false;
        }
        if (!acquire(shared, failure, silence, inFlight)) {
            return false;
        }
        return true;
    }

    private static boolean acquire(Semaphore semaphore, AtomicReference<Throwable> failure, Silence silence,
            Semaphore undo) throws InterruptedException {
        while (!semaphore.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            if (silence.tooLong(failure)) {
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
        if (inFlight.tryAcquire(window, stopping ? STOP_WAIT_SECONDS * 1_000_000_000L : ackTimeoutNanos,
                TimeUnit.NANOSECONDS)) {
            inFlight.release(window);
        }
        // A clean stop is routine; any other abort deserves attention.
        LOG.logf(result == Result.STOPPED ? Logger.Level.INFO : Logger.Level.WARN,
                "Transfer %s (%s) attempt %d aborted: %s", transferId, path, attempt, reason);
        try {
            publisher.send(new Abort(transferId, attempt, path, reason), partition).toCompletableFuture()
                    .get(stopping ? STOP_WAIT_SECONDS * 1_000_000_000L : ackTimeoutNanos, TimeUnit.NANOSECONDS);
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
}
