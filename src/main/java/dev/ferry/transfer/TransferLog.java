package dev.ferry.transfer;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

import dev.ferry.chunk.RelativePaths;

/**
 * How Ferry's log speaks about transfers, in one place so that every line can be found by transfer id:
 * <ul>
 * <li>{@link #about}: while open, every line the thread logs carries {@code transferId} and {@code path} in the MDC
 * (fields of the JSON log; in text logs the message names the transfer as well);</li>
 * <li>{@link #finished}: exactly one line per file and side when it is delivered or fails, with id, path, size,
 * duration and rate in the text and as MDC fields ({@code outcome}, {@code bytes}, {@code durationMs},
 * {@code bytesPerSecond}) for log queries;</li>
 * <li>{@link #progress}: a line for a transfer still moving, at {@code ferry.progress-interval}.</li>
 * </ul>
 */
public final class TransferLog {

    public static final String TRANSFER_ID = "transferId";
    public static final String PATH = "path";

    private static final Logger LOG = Logger.getLogger(TransferLog.class);

    private TransferLog() {
    }

    /** Until closed, the current thread's log lines are about this transfer. Scopes nest (the outer one returns). */
    public static Scope about(String transferId, String path) {
        return new Scope(Map.of(TRANSFER_ID, transferId, PATH, path == null ? "" : path));
    }

    static void finished(Transfer t, String note) {
        Duration took = Duration.between(t.startedAt(), t.finishedAt() == null ? Instant.now() : t.finishedAt());
        double seconds = Math.max(1e-3, took.toMillis() / 1e3);
        Map<String, String> fields = new HashMap<>();
        fields.put(TRANSFER_ID, t.id());
        fields.put(PATH, t.path());
        fields.put("side", t.side().label());
        fields.put("route", t.route());
        fields.put("outcome", t.state().label());
        fields.put("bytes", Long.toString(t.size()));
        fields.put("durationMs", Long.toString(took.toMillis()));
        fields.put("bytesPerSecond", Long.toString(Math.round(t.bytesDone() / seconds)));
        try (Scope s = new Scope(fields)) {
            String moved = t.state() == TransferState.DELIVERED
                    ? String.format("%d bytes in %.2f s (%.1f MB/s)", t.size(), seconds, t.size() / seconds / 1e6)
                    : String.format("%d of %d bytes in %.2f s (%.1f MB/s)", t.bytesDone(), t.size(), seconds,
                            t.bytesDone() / seconds / 1e6);
            String line = String.format("Transfer %s (%s): %s [%s], %s%s%s%s", t.id(), shown(t.path()),
                    t.state().label(), t.side(), moved, t.sha256() == null ? "" : ", sha256 " + t.sha256(),
                    note == null ? "" : "; " + note, t.error() == null ? "" : "; " + t.error());
            switch (t.state()) {
                case DELIVERED -> LOG.info(line);
                case QUARANTINED -> LOG.error(line);
                default -> LOG.warn(line);
            }
        }
    }

    static void progress(Transfer t, long rate) {
        Duration running = Duration.between(t.startedAt(), Instant.now());
        try (Scope s = about(t.id(), t.path())) {
            long left = t.size() - t.bytesDone();
            String eta = rate <= 0 || t.state() == TransferState.SENT ? ""
                    : String.format(", about %d s left", (left + rate - 1) / rate);
            LOG.infof("Transfer %s (%s): %s, %d%% (%d of %d bytes, %d of %d chunks) after %d s, %.1f MB/s%s", t.id(),
                    shown(t.path()), t.state().label(), t.size() == 0 ? 100 : t.bytesDone() * 100 / t.size(),
                    t.bytesDone(), t.size(), t.chunksDone(), t.chunksTotal(), running.toSeconds(), rate / 1e6, eta);
        }
    }

    /** The MDC entries of one transfer; closing restores what was there before. */
    public static final class Scope implements AutoCloseable {

        private final Map<String, Object> previous = new HashMap<>();

        private Scope(Map<String, String> fields) {
            fields.forEach((key, value) -> previous.put(key, MDC.put(key, value)));
        }

        @Override
        public void close() {
            previous.forEach((key, value) -> {
                if (value == null) {
                    MDC.remove(key);
                } else {
                    MDC.put(key, value);
                }
            });
        }
    }

    /**
     * A path as a log message shows it: as it is if it passes the path rule, escaped if not (a name the producer
     * refused may hold a TAB, a line break or a bidi control, which would forge or scramble a log line).
     */
    static String shown(String path) {
        return path == null || RelativePaths.problemWith(path) == null ? path : RelativePaths.printable(path);
    }
}
