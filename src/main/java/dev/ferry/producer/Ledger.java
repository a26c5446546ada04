package dev.ferry.producer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jboss.logging.Logger;

/**
 * The producer's durable memory, in {@code <state-dir>/producer-ledger}: which attempt each transfer is at, and which
 * transfers were fully acknowledged. It keeps an unchanged file from being sent again after a restart (source policy
 * {@code keep}), and makes attempt numbers grow across restarts so the consumer never mixes two attempts.
 * <p>
 * An append-only text file, one fsynced line per event ({@code A <id> <attempt>}, {@code S <id>}); rewritten compactly
 * at start-up. A torn last line from a crash is ignored.
 */
final class Ledger implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Ledger.class);

    private final Path file;
    private final Map<String, Integer> attempts = new HashMap<>();
    private final Set<String> sent = new HashSet<>();
    private FileChannel channel;

    Ledger(Path stateDir) {
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

    synchronized boolean isSent(String transferId) {
        return sent.contains(transferId);
    }

    /** Reserves the next attempt number for a transfer, durably, before any of its chunks is sent. */
    synchronized int nextAttempt(String transferId) throws IOException {
        int attempt = attempts.getOrDefault(transferId, -1) + 1;
        append("A " + transferId + " " + attempt);
        attempts.put(transferId, attempt);
        return attempt;
    }

    synchronized void markSent(String transferId) throws IOException {
        append("S " + transferId);
        sent.add(transferId);
    }

    private void append(String line) throws IOException {
        channel.write(StandardCharsets.UTF_8.encode(line + "\n"));
        channel.force(false);
    }

    private void load() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (String line : lines) {
            String[] parts = line.split(" ");
            try {
                if (parts.length == 3 && parts[0].equals("A")) {
                    attempts.merge(parts[1], Integer.parseInt(parts[2]), Math::max);
                } else if (parts.length == 2 && parts[0].equals("S")) {
                    sent.add(parts[1]);
                } else if (!line.isEmpty()) {
                    LOG.warnf("Ignoring unreadable ledger line in %s: %s", file, line);
                }
            } catch (NumberFormatException e) {
                LOG.warnf("Ignoring unreadable ledger line in %s: %s", file, line);
            }
        }
    }

    private void compact() throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (BufferedWriter out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            for (Map.Entry<String, Integer> e : attempts.entrySet()) {
                out.write("A " + e.getKey() + " " + e.getValue() + "\n");
            }
            for (String id : sent) {
                out.write("S " + id + "\n");
            }
        }
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public synchronized void close() throws IOException {
        if (channel != null) {
            channel.close();
        }
    }
}
