package dev.ferry.fault;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Deterministic crash points for the fault tests: each names a window between two durable steps (for example between
 * linking a file into the outbox and recording its receipt), so every window is tested, not only those random kills
 * happen to hit.
 * <p>
 * Switched on only by JVM system properties that tests pass to a Ferry process; they are deliberately not
 * {@code ferry.*} settings, so no environment variable or config file can turn them on in a deployment:
 * <ul>
 * <li>{@code -Ddev.ferry.fault.halt=<point>[@<n>]}: the JVM halts (as after {@code kill -9}: no shutdown hooks, nothing
 * flushed) at the {@code n}th time (default 1) the process reaches {@code point}.</li>
 * <li>{@code -Ddev.ferry.fault.disk-full=<file>}: while {@code file} exists, the consumer's disk writes fail with the
 * out-of-space error, for machines where a test cannot mount a small file system.</li>
 * </ul>
 */
public final class FaultPoints {

    /** Exit status of a halted process: what a shell reports for a process killed by SIGKILL. */
    public static final int HALT_STATUS = 137;

    private static final String HALT = System.getProperty("dev.ferry.fault.halt", "");
    private static final String HALT_POINT = HALT.contains("@") ? HALT.substring(0, HALT.indexOf('@')) : HALT;
    private static final int HALT_AT = HALT.contains("@") ? Integer.parseInt(HALT.substring(HALT.indexOf('@') + 1)) : 1;
    private static final AtomicInteger HITS = new AtomicInteger();
    private static final Path DISK_FULL = System.getProperty("dev.ferry.fault.disk-full") == null ? null
            : Path.of(System.getProperty("dev.ferry.fault.disk-full"));

    private FaultPoints() {
    }

    /** Marks a crash window; halts the JVM here if a test asked for it. */
    public static void reach(Point point) {
        if (!HALT_POINT.isEmpty() && HALT_POINT.equals(point.id) && HITS.incrementAndGet() == HALT_AT) {
            System.err.println("dev.ferry.fault.halt: halting at " + point.id + " (hit " + HALT_AT + ")");
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }

    /** Before a consumer write: fails as a full disk would, while a test holds the disk-full flag file. */
    public static void diskWrite() throws IOException {
        if (DISK_FULL != null && Files.exists(DISK_FULL)) {
            throw new IOException("No space left on device (dev.ferry.fault.disk-full)");
        }
    }

    /** The crash windows. The id is what {@code dev.ferry.fault.halt} names. */
    public enum Point {
        /** Consumer: a chunk written to its staging file, not yet synced or journaled. */
        CONSUMER_STAGED("consumer.staged"),
        /** Consumer: staged chunks synced and journaled, their records not yet acknowledged. */
        CONSUMER_JOURNALED("consumer.journaled"),
        /** Consumer: files linked into the outbox, folders not yet synced, no receipt yet. */
        CONSUMER_PUBLISHED("consumer.published"),
        /** Consumer: receipts acknowledged by Kafka, the delivered files' staging and journal not yet cleaned. */
        CONSUMER_RECEIPTED("consumer.receipted"),
        /** Consumer: a batch fully delivered and its records acknowledged, the offsets not yet committed. */
        CONSUMER_RELEASED("consumer.released"),
        /** Producer: every chunk acknowledged by the broker, not yet recorded in the ledger. */
        PRODUCER_ACKNOWLEDGED("producer.acknowledged"),
        /** Producer: progress of a large file recorded in the ledger. */
        PRODUCER_PROGRESS("producer.progress"),
        /** Producer: the receipt seen, the source policy not yet applied. */
        PRODUCER_RECEIPT_SEEN("producer.receipt-seen"),
        /** Producer: the source policy applied (file deleted or moved), not yet recorded in the ledger. */
        PRODUCER_DISPOSED("producer.disposed");

        public final String id;

        Point(String id) {
            this.id = id;
        }
    }
}
