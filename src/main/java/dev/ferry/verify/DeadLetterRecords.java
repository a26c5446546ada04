package dev.ferry.verify;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import dev.ferry.chunk.RelativePaths;
import dev.ferry.chunk.WireFormat;

/**
 * What the consumer refused, read from the dead-letter topic for {@code verify}: a refused record is something sent
 * that will never be in the outbox, so it must not vanish from the comparison. Values are not kept (a dead letter may
 * be a 16 MiB chunk); at most {@link #MAX_KEPT} are listed, the rest counted.
 */
final class DeadLetterRecords {

    static final int MAX_KEPT = 1000;

    /**
     * One refused record: its key as written (a transfer id if it named one; cut to 256 characters), the path it named
     * (made printable), and why.
     */
    record DeadLetter(String key, String path, String reason, String sourceTopic) {
    }

    /** Categories of records refused for their signature: forgeries, which describe no file that was sent. */
    static final Set<String> FORGED = Set.of("unsigned", "unknown-key", "bad-signature");

    final List<DeadLetter> kept = new ArrayList<>();
    long total;
    /** Records refused for their signature: counted, never listed as a file that will not arrive. */
    long forged;

    static DeadLetterRecords read(Map<String, Object> kafka, String deadLetterTopic, Duration timeout) {
        DeadLetterRecords result = new DeadLetterRecords();
        // No dead-letter topic: nothing was refused.
        TopicSnapshot.read(kafka, deadLetterTopic, "ferry-verify-dead-letters", timeout, true, r -> {
            if (FORGED.contains(text(r.headers(), "dead-letter-category"))) {
                result.forged++;
                return;
            }
            result.total++;
            if (result.kept.size() < MAX_KEPT) {
                result.kept.add(new DeadLetter(printableKey(r.key()), path(r.headers()),
                        text(r.headers(), "dead-letter-reason"), text(r.headers(), "dead-letter-topic")));
            }
        });
        return result;
    }

    private static String printableKey(String key) {
        return key == null ? "" : key.length() > 256 ? key.substring(0, 256) : key;
    }

    private static String path(Headers headers) {
        Header h = headers.lastHeader(WireFormat.PATH_HEADER);
        if (h == null || h.value() == null || h.value().length > RelativePaths.MAX_BYTES) {
            return null;
        }
        return RelativePaths.printable(new String(h.value(), StandardCharsets.UTF_8));
    }

    private static String text(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        if (h == null || h.value() == null) {
            return null;
        }
        String s = new String(h.value(), StandardCharsets.UTF_8);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
