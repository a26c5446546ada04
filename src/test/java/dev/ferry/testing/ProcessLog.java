package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The log file of a {@link FerryProcess}. The role profiles log JSON lines, as in production; tests that look for a
 * message read {@link #text}, where each JSON record becomes "timestamp LEVEL [logger] message" (plus its stack trace),
 * and tests of the log format itself read {@link #records}.
 */
public final class ProcessLog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ProcessLog() {
    }

    /** The log as readable text; lines that are not JSON are kept as they are. */
    public static String text(Path log) {
        StringBuilder text = new StringBuilder();
        for (String line : lines(log)) {
            JsonNode record = parse(line);
            if (record == null) {
                text.append(line).append('\n');
                continue;
            }
            text.append(record.path("timestamp").asText()).append(' ').append(record.path("level").asText())
                    .append(" [").append(record.path("loggerName").asText()).append("] ")
                    .append(record.path("message").asText()).append('\n');
            if (record.hasNonNull("stackTrace")) {
                text.append(record.get("stackTrace").asText()).append('\n');
            }
        }
        return text.toString();
    }

    /**
     * Every complete line of the log parsed as JSON.
     *
     * @throws AssertionError
     *             naming the first complete line that is not a JSON object
     */
    public static List<JsonNode> records(Path log) {
        List<String> lines = lines(log);
        List<JsonNode> records = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode record = parse(lines.get(i));
            if (record == null || !record.isObject()) {
                if (i == lines.size() - 1) {
                    break; // being written
                }
                throw new AssertionError("line " + (i + 1) + " of " + log + " is not a JSON object: " + lines.get(i));
            }
            records.add(record);
        }
        return records;
    }

    private static List<String> lines(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode parse(String line) {
        if (!line.startsWith("{")) {
            return null;
        }
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
