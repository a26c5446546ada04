package dev.ferry.stream.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The producer's memory of its streams, in the state dir: which source (by name, size and modification time) was
 * streamed to the end or failed, so a restart does not stream it again, and how many frames of an unfinished one Kafka
 * acknowledged, so a restart resumes after them. Written whole, atomically.
 */
final class StreamLedger {

    /** One stream's entry: {@code done} once it ended or failed. */
    record Entry(String fingerprint, long framesSent, boolean done) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final Map<String, Entry> entries;

    StreamLedger(Path file) throws IOException {
        this.file = file;
        this.entries = Files.exists(file)
                ? new HashMap<>(JSON.readValue(Files.readString(file), new TypeReference<Map<String, Entry>>() {
                }))
                : new HashMap<>();
    }

    synchronized Optional<Entry> get(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    synchronized void record(String name, Entry entry) throws IOException {
        entries.put(name, entry);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(entries), StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
