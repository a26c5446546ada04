package dev.ferry.route;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import dev.ferry.chunk.ChunkCompression;
import dev.ferry.config.FerryConfig.SourcePolicy;

/**
 * One path files take: from an inbox on the producer side, through a topic, to an outbox on the consumer side. A
 * producer uses inbox, globs, topic, chunk size, source policy, compression and encryption key (which it seals with); a
 * consumer uses topic, outbox and encryption key (which it opens records and seals receipts with). Validated by
 * {@link RoutesFile} before it exists.
 */
public record Route(String name, Optional<Path> inbox, Optional<Path> outbox, String topic, List<String> include,
        List<String> exclude, int chunkSize, SourcePolicy sourcePolicy, Optional<Path> archive,
        ChunkCompression compression, Optional<Path> encryptionKey) {

    /** The name of the single route made from the flat keys (ferry.inbox, ferry.outbox, ferry.topic). */
    public static final String DEFAULT = "default";

    public boolean isDefault() {
        return name.equals(DEFAULT);
    }

    /** What a producer route needs to keep running unchanged; any other difference restarts it. */
    public boolean sameForProducer(Route other) {
        return inbox.equals(other.inbox) && topic.equals(other.topic) && include.equals(other.include)
                && exclude.equals(other.exclude) && chunkSize == other.chunkSize && sourcePolicy == other.sourcePolicy
                && archive.equals(other.archive) && compression == other.compression
                && encryptionKey.equals(other.encryptionKey);
    }

    public boolean sameForConsumer(Route other) {
        return topic.equals(other.topic) && outbox.equals(other.outbox) && encryptionKey.equals(other.encryptionKey);
    }

    /** One line for logs and health output. */
    public String describe(boolean producer, boolean consumer) {
        StringBuilder b = new StringBuilder(name).append(":");
        if (producer) {
            b.append(' ').append(inbox.map(Path::toString).orElse("?")).append(" ->");
        }
        b.append(" topic ").append(topic);
        if (consumer) {
            b.append(" -> ").append(outbox.map(Path::toString).orElse("?"));
        }
        return b.toString();
    }
}
