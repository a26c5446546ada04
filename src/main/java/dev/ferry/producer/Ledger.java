package dev.ferry.producer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.jboss.logging.Logger;

/**
 * The producer's durable memory, in {@code <state-dir>/producer-ledger}: for each transfer, its current attempt and the
 * partition it goes to, how far the attempt got, and whether the file was sent and delivered. It lets a restarted
 * producer resume a large file where its acknowledged chunks end, wait for receipts of files sent before the restart,
 * never send an unchanged, delivered file again (source policy {@code keep}), and never reuse an attempt number.
 * <p>
 * An append-only text file, one line per event, rewritten compactly at start-up; a torn last line from a crash is
 * ignored. Each event but "sent" is durable when its method returns, and concurrent senders share fsyncs (group
 * commit): a caller that finds an fsync under way waits for it, and the next one covers every line written meanwhile,
 * so many small files sent at once cost a few fsyncs, not two each. "Sent" is written without waiting: a process that
 * dies still leaves it in the page cache, and the next fsync (the next file's start, any receipt acted on) takes it to
 * disk; only a crash of the machine before that loses it, and then the attempt is resumed from its last recorded
 * progress, which sends chunks again that the consumer skips (it has the transfer's receipt, or the chunks staged).
 * Paths are URL-encoded so a line is always one line:
 *
 * <pre>
 * A id attempt partition path   attempt started, all its records go to that partition
 * P id attempt next             chunks 0..next-1 of the attempt are acknowledged by the broker
 * E id attempt                  attempt ended without success (aborted, changed, failed receipt)
 * S id attempt [size sha256]    every chunk acknowledged; waiting for the consumer side's receipt, which must
 *                               name this attempt, size and SHA-256 (older ledgers have no size and hash)
 * D id                          receipt acted on: done, never sent again while unchanged
 * </pre>
 */
final class Ledger implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Ledger.class);

    enum Stage {
        SENDING, ENDED, SENT, DONE
    }

    /**
     * What the ledger knows of one transfer.
     *
     * @param size
     *            the size the attempt was sent with; -1 until sent (or in a ledger written before this was recorded)
     * @param sha256
     *            the SHA-256 (hex) the attempt was sent with; null until sent (or in an older ledger)
     */
    record Entry(String transferId, int attempt, int partition, String path, int next, Stage stage, long size,
            String sha256) {

        Entry with(int next, Stage stage) {
            return new Entry(transferId, attempt, partition, path, next, stage, size, sha256);
        }

        Entry sentAs(long size, String sha256) {
            return new Entry(transferId, attempt, partition, path, next, Stage.SENT, size, sha256);
        }
    }

    private final Path file;
    private final Map<String, Entry> entries = new HashMap<>();
    private FileChannel channel;
    /** Bytes appended since start-up; guarded by {@code this}. */
    private long written;
    /** Guards {@link #durable} and {@link #fsyncRunning}: one fsync at a time, for every line written before it. */
    private final Object syncing = new Object();
    private long durable;
    private boolean fsyncRunning;
    private final AtomicLong fsyncs = new AtomicLong();
    private final Fsync fsync;

    /** How the ledger is made durable: {@code channel.force(false)}; tests slow it down to show the sharing. */
    interface Fsync {
        void force(FileChannel channel) throws IOException;
    }

    Ledger(Path stateDir) {
        this(stateDir, channel -> channel.force(false));
    }

    Ledger(Path stateDir, Fsync fsync) {
        this.fsync = fsync;
        this.file = stateDir.resolve("producer-ledger");
        try {
            Files.createDirectories(stateDir);
            load();
            compact();
            channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the producer ledger " + file, e);
        }
    }

    /** Sent or delivered: an unchanged file with this id is not sent again. */
    synchronized boolean isSent(String transferId) {
        Entry e = entries.get(transferId);
        return e != null && (e.stage == Stage.SENT || e.stage == Stage.DONE);
    }

    /** Its receipt was acted on: nothing more to learn about it. */
    synchronized boolean isDone(String transferId) {
        Entry e = entries.get(transferId);
        return e != null && e.stage == Stage.DONE;
    }

    synchronized Optional<Entry> find(String transferId) {
        return Optional.ofNullable(entries.get(transferId));
    }

    /** An attempt that a crash or a stop interrupted, to be resumed if its file is unchanged. */
    synchronized Optional<Entry> interrupted(String transferId) {
        return find(transferId).filter(e -> e.stage == Stage.SENDING);
    }

    /** Every attempt a crash or a stop interrupted. */
    synchronized List<Entry> interrupted() {
        return entries.values().stream().filter(e -> e.stage == Stage.SENDING).toList();
    }

    /** Transfers sent and waiting for their receipt. */
    synchronized List<Entry> awaitingReceipt() {
        return entries.values().stream().filter(e -> e.stage == Stage.SENT).toList();
    }

    /** Durably starts the next attempt of a transfer, before any of its chunks is sent. */
    Entry startAttempt(String transferId, String path, int partition) throws IOException {
        Entry e;
        long end;
        synchronized (this) {
            int attempt = Optional.ofNullable(entries.get(transferId)).map(x -> x.attempt + 1).orElse(0);
            end = write("A " + transferId + " " + attempt + " " + partition + " " + encode(path));
            e = new Entry(transferId, attempt, partition, path, 0, Stage.SENDING, -1, null);
            entries.put(transferId, e);
        }
        awaitDurable(end);
        return e;
    }

    void progress(String transferId, int attempt, int next) throws IOException {
        long end;
        synchronized (this) {
            Entry e = current(transferId, attempt);
            if (e == null || next <= e.next) {
                return;
            }
            end = write("P " + transferId + " " + attempt + " " + next);
            entries.put(transferId, e.with(next, e.stage));
        }
        awaitDurable(end);
    }

    void ended(String transferId, int attempt) throws IOException {
        long end;
        synchronized (this) {
            Entry e = current(transferId, attempt);
            if (e == null) {
                return;
            }
            end = write("E " + transferId + " " + attempt);
            entries.put(transferId, e.with(e.next, Stage.ENDED));
        }
        awaitDurable(end);
    }

    /**
     * Every chunk of the attempt is acknowledged, the file had {@code size} bytes and the SHA-256 {@code sha256} (hex;
     * null if this process did not read the whole file, e.g. a restart found every chunk acknowledged).
     */
    void sent(String transferId, int attempt, long size, String sha256) throws IOException {
        synchronized (this) {
            Entry e = current(transferId, attempt);
            if (e == null) {
                return;
            }
            write(sentLine(transferId, attempt, size, sha256));
            entries.put(transferId, e.sentAs(sha256 == null ? -1 : size, sha256));
        }
        // Not awaited (see the class comment): one fsync less per file, the producer's costliest system call.
    }

    private static String sentLine(String transferId, int attempt, long size, String sha256) {
        return "S " + transferId + " " + attempt + (sha256 == null ? "" : " " + size + " " + sha256);
    }

    void done(String transferId) throws IOException {
        done(List.of(transferId));
    }

    /** Records several transfers as done with one fsync. */
    void done(Collection<String> transferIds) throws IOException {
        long end;
        synchronized (this) {
            StringBuilder lines = new StringBuilder();
            for (String id : transferIds) {
                Entry e = entries.get(id);
                if (e != null) {
                    lines.append("D ").append(id).append('\n');
                    entries.put(id, e.with(e.next, Stage.DONE));
                }
            }
            if (lines.length() == 0) {
                return;
            }
            end = write(lines.substring(0, lines.length() - 1));
        }
        awaitDurable(end);
    }

    /** fsyncs since start-up (the group commit's effect, in tests). */
    long fsyncs() {
        return fsyncs.get();
    }

    private Entry current(String transferId, int attempt) {
        Entry e = entries.get(transferId);
        return e != null && e.attempt == attempt ? e : null;
    }

    /** Appends a line (not yet durable); returns the ledger's length after it. Call holding {@code this}. */
    private long write(String line) throws IOException {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(line + "\n");
        while (bytes.hasRemaining()) {
            written += channel.write(bytes);
        }
        return written;
    }

    /**
     * Returns once the first {@code end} bytes are on disk. One caller at a time runs an fsync, for every line written
     * before it starts; callers arriving meanwhile wait for it, and the first of them whose line it did not cover runs
     * the next one, for all of them.
     */
    private void awaitDurable(long end) throws IOException {
        synchronized (syncing) {
            while (durable < end) {
                if (!fsyncRunning) {
                    fsyncRunning = true;
                    break;
                }
                try {
                    syncing.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while the ledger was made durable");
                }
            }
            if (durable >= end) {
                return;
            }
        }
        long covered;
        synchronized (this) {
            covered = written;
        }
        boolean synced = false;
        try {
            fsync.force(channel);
            fsyncs.incrementAndGet();
            synced = true;
        } finally {
            synchronized (syncing) {
                if (synced) {
                    durable = covered;
                }
                fsyncRunning = false;
                syncing.notifyAll();
            }
        }
    }

    private void load() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isEmpty()) {
                continue;
            }
            try {
                apply(line.split(" "));
            } catch (RuntimeException e) {
                LOG.warnf("Ignoring unreadable ledger line in %s: %s", file, line);
            }
        }
    }

    private void apply(String[] p) {
        String id = p[1];
        Entry e = entries.get(id);
        switch (p[0]) {
            case "A" -> {
                int attempt = Integer.parseInt(p[2]);
                if (e == null || attempt > e.attempt) {
                    entries.put(id,
                            new Entry(id, attempt, Integer.parseInt(p[3]), decode(p[4]), 0, Stage.SENDING, -1, null));
                }
            }
            case "P" -> {
                if (e != null && e.attempt == Integer.parseInt(p[2])) {
                    entries.put(id, e.with(Math.max(e.next, Integer.parseInt(p[3])), e.stage));
                }
            }
            case "E" -> {
                if (e != null && e.attempt == Integer.parseInt(p[2])) {
                    entries.put(id, e.with(e.next, Stage.ENDED));
                }
            }
            case "S" -> {
                if (e != null && e.attempt == Integer.parseInt(p[2])) {
                    entries.put(id, p.length >= 5 ? e.sentAs(Long.parseLong(p[3]), p[4]) : e.sentAs(-1, null));
                }
            }
            case "D" -> {
                if (e != null) {
                    entries.put(id, e.with(e.next, Stage.DONE));
                }
            }
            default -> throw new IllegalArgumentException("unknown line");
        }
    }

    private void compact() throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (Entry e : entries.values()) {
                out.write("A " + e.transferId + " " + e.attempt + " " + e.partition + " " + encode(e.path) + "\n");
                if (e.next > 0) {
                    out.write("P " + e.transferId + " " + e.attempt + " " + e.next + "\n");
                }
                switch (e.stage) {
                    case ENDED -> out.write("E " + e.transferId + " " + e.attempt + "\n");
                    case SENT -> out.write(sentLine(e.transferId, e.attempt, e.size, e.sha256) + "\n");
                    case DONE -> out.write("D " + e.transferId + "\n");
                    case SENDING -> {
                    }
                }
            }
        }
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String encode(String path) {
        return URLEncoder.encode(path, StandardCharsets.UTF_8);
    }

    private static String decode(String encoded) {
        return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        synchronized (syncing) {
            while (fsyncRunning) {
                try {
                    syncing.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            closeChannel();
        }
    }

    private synchronized void closeChannel() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
