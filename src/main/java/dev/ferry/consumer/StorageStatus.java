package dev.ferry.consumer;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import org.jboss.logging.Logger;

/**
 * Whether the consumer can write what it must. While a write keeps failing (disk full, read-only volume, receipts topic
 * unreachable), the failed step is retried with a growing pause, nothing past it is acknowledged, and readiness reports
 * the problem. Staging stops consumption at the record that failed; delivery keeps complete files queued.
 */
final class StorageStatus {

    private static final Logger LOG = Logger.getLogger(StorageStatus.class);
    private static final long FIRST_RETRY_NANOS = 100_000_000L;
    private static final long MAX_RETRY_NANOS = 5_000_000_000L;

    enum Area {
        /** Writing chunks to staging files. */
        STAGING,
        /** Syncing, publishing into the outbox, recording receipts. */
        DELIVERY,
        /** Writing a refused record to the dead-letter topic. */
        DEAD_LETTER,
        /** Opening a sealed record whose key is not here (ferry.decryption-keys). */
        KEYS;

        String pauses() {
            return this == DELIVERY ? "delivery" : "consumption";
        }

        String title() {
            return switch (this) {
                case STAGING -> "Staging";
                case DELIVERY -> "Delivery";
                case DEAD_LETTER -> "Dead-lettering";
                case KEYS -> "Opening sealed records";
            };
        }
    }

    private static final class Failure {
        String problem;
        long since = System.nanoTime();
        long retryNanos = FIRST_RETRY_NANOS;
        long nextRetry;
    }

    private final Map<Area, Failure> failures = new EnumMap<>(Area.class);

    /** Records a failure; logs it the first time (and when it changes), not on every retry. */
    synchronized void failed(Area area, String what, Exception e) {
        String now = what + ": " + e.getMessage();
        Failure f = failures.get(area);
        if (f == null) {
            f = new Failure();
            failures.put(area, f);
            LOG.errorf("%s; %s paused, nothing past it is acknowledged; retrying until it works", now, area.pauses());
        } else {
            f.retryNanos = Math.min(MAX_RETRY_NANOS, f.retryNanos * 2);
            if (!now.equals(f.problem)) {
                LOG.errorf("%s; still paused", now);
            }
        }
        f.problem = now;
        f.nextRetry = System.nanoTime() + f.retryNanos;
    }

    synchronized void succeeded(Area area) {
        Failure f = failures.remove(area);
        if (f != null) {
            LOG.infof("%s works again after %d s; resumed (was: %s)", area.title(),
                    (System.nanoTime() - f.since) / 1_000_000_000L, f.problem);
        }
    }

    /** How long to wait before retrying {@code area}; 0 if it is not failing or the pause is over. */
    synchronized long retryDelayNanos(Area area) {
        Failure f = failures.get(area);
        return f == null ? 0 : Math.max(0, f.nextRetry - System.nanoTime());
    }

    synchronized Optional<String> problem() {
        return failures.values().stream().map(f -> f.problem).reduce((a, b) -> a + "; " + b);
    }
}
