package dev.ferry.transfer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Finished transfers, newest last, kept in the state dir as JSON lines so the history survives a restart. Bounded: at
 * most {@code limit} entries are kept in memory, and the file is rewritten with only those once it holds twice as many
 * lines, so it never grows without end. History is for people; losing its tail in a crash loses nothing else.
 */
final class TransferHistory implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TransferHistory.class);
    static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final Path file;
    private final int limit;
    /** By transfer and side, oldest first: a newer entry of the same transfer and side replaces it in O(1). */
    private final LinkedHashMap<String, Transfer> entries = new LinkedHashMap<>();
    private int linesInFile;
    private BufferedWriter out;

    TransferHistory(Path file, int limit) throws IOException {
        this.file = file;
        this.limit = limit;
        Files.createDirectories(file.getParent());
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                linesInFile++;
                try {
                    add(JSON.readValue(line, Transfer.class));
                } catch (IOException e) {
                    LOG.warnf("Ignoring an unreadable line of %s: %s", file, e.getMessage());
                }
            }
        }
        open();
    }

    synchronized void append(Transfer t) {
        add(t);
        try {
            out.write(JSON.writeValueAsString(t));
            out.newLine();
            out.flush();
            if (++linesInFile >= 2 * limit) {
                compact();
            }
        } catch (IOException e) {
            LOG.warnf("Transfer history not written to %s: %s", file, e.getMessage());
        }
    }

    synchronized List<Transfer> all() {
        return new ArrayList<>(entries.values());
    }

    private void add(Transfer t) {
        String key = t.side() + " " + t.id();
        entries.remove(key); // re-inserted last: newest last
        entries.put(key, t);
        Iterator<Transfer> oldest = entries.values().iterator();
        while (entries.size() > limit) {
            oldest.next();
            oldest.remove();
        }
    }

    private void compact() throws IOException {
        out.close();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        List<String> lines = new ArrayList<>();
        for (Transfer t : entries.values()) {
            lines.add(JSON.writeValueAsString(t));
        }
        Files.write(tmp, lines, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        linesInFile = lines.size();
        open();
    }

    private void open() throws IOException {
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
