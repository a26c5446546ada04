package dev.ferry.chunk;

import java.util.Objects;

/**
 * Ends an attempt that cannot finish (the file changed while it was read, a send failed). The consumer discards what it
 * staged for that attempt; a later attempt starts afresh.
 *
 * @param reason
 *            human-readable, for logs and the dead-letter trail
 */
public record Abort(String transferId, int attempt, String path, String reason) implements FerryRecord {

    public Abort {
        Objects.requireNonNull(transferId, "transferId");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(reason, "reason");
    }
}
