package dev.ferry.consumer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;

import dev.ferry.chunk.WireFormat;

/**
 * Transfers this consumer has finished (delivered or quarantined), in {@code <state-dir>/delivered}. Chunks of a
 * finished transfer that arrive again (the partition is re-read from its safe offset after a crash or rebalance) are
 * recognised here and skipped. Bounded by {@code ferry.delivered-history}, oldest forgotten first.
 */
final class DeliveredLog implements AutoCloseable {

    private final Path file;
    private final int capacity;
    private final LinkedHashSet<String> ids = new LinkedHashSet<>();
    private FileChannel channel;
    private int linesInFile;

    DeliveredLog(Path stateDir, int capacity) throws IOException {
        this.file = stateDir.resolve("delivered");
        this.capacity = capacity;
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                // A torn last line after a crash fails the check and is dropped.
                if (WireFormat.isTransferId(line)) {
                    ids.remove(line);
                    ids.add(line);
                    linesInFile++;
                }
            }
            trim();
        }
        rewrite();
    }

    synchronized boolean contains(String transferId) {
        return ids.contains(transferId);
    }

    /** Records finished transfers durably with one fsync for all of them. */
    synchronized void addAll(java.util.Collection<String> transferIds) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (String id : transferIds) {
            if (ids.add(id)) {
                lines.append(id).append('\n');
                linesInFile++;
            }
        }
        if (lines.length() == 0) {
            return;
        }
        channel.write(StandardCharsets.UTF_8.encode(lines.toString()));
        channel.force(false);
        if (trim() || linesInFile > 2 * capacity) {
            rewrite();
        }
    }

    synchronized int size() {
        return ids.size();
    }

    private boolean trim() {
        boolean trimmed = false;
        for (Iterator<String> it = ids.iterator(); ids.size() > capacity && it.hasNext();) {
            it.next();
            it.remove();
            trimmed = true;
        }
        return trimmed && linesInFile > 2 * capacity;
    }

    private void rewrite() throws IOException {
        if (channel != null) {
            channel.close();
        }
        Path tmp = file.resolveSibling("delivered.tmp");
        List<String> lines = new ArrayList<>(ids);
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        Durable.syncFile(tmp);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Durable.syncDirectory(file.getParent());
        linesInFile = lines.size();
        channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
