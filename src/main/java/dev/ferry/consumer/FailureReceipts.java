package dev.ferry.consumer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jboss.logging.Logger;

import dev.ferry.receipt.Receipt;
import dev.ferry.receipt.Receipts;

/**
 * Failed receipts waiting to be written: they tell a producer that an attempt cannot complete here (its first chunks
 * are gone, it was abandoned, a record of it was refused, the consumer is full), so it sends the file again.
 * <p>
 * Written in the background, many per round trip, never on the path of a record: a flood of junk records costs one
 * queue entry each, not a synchronous Kafka write each. Each transfer attempt is reported once; the queue and the
 * memory of what was reported are bounded, and what does not fit is counted and dropped (a real producer of such a
 * transfer still learns of it when its attempt is abandoned after {@code ferry.incomplete-ttl} or its next record
 * arrives).
 */
final class FailureReceipts {

    private static final Logger LOG = Logger.getLogger(FailureReceipts.class);

    /** Failed receipts waiting at most; beyond, new ones are dropped and counted. */
    static final int MAX_PENDING = 10_000;
    /** Transfer attempts remembered as reported, so a transfer's every record does not queue a receipt again. */
    static final int MAX_REMEMBERED = 100_000;

    private final Map<String, Receipt> pending = new LinkedHashMap<>();
    private final Map<String, Integer> reported = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };
    private long dropped;

    /**
     * Queues {@code failure} unless this attempt (or a later one) of its transfer was reported already.
     *
     * @return true if queued
     */
    synchronized boolean add(Receipt failure) {
        Integer before = reported.get(failure.transfer());
        if (before != null && before >= failure.attempt()) {
            return false;
        }
        if (pending.size() >= MAX_PENDING && !pending.containsKey(failure.transfer())) {
            if (dropped++ % 1000 == 0) {
                LOG.warnf("%d failed receipts wait to be written; dropping more (%d dropped so far)", MAX_PENDING,
                        dropped);
            }
            return false;
        }
        reported.put(failure.transfer(), failure.attempt());
        pending.put(failure.transfer(), failure);
        return true;
    }

    /** True if the attempt was reported (queued or written) already. */
    synchronized boolean wasReported(String transferId, int attempt) {
        Integer before = reported.get(transferId);
        return before != null && before >= attempt;
    }

    synchronized int pending() {
        return pending.size();
    }

    synchronized long dropped() {
        return dropped;
    }

    /**
     * Writes what is queued, in one round trip; never over a final receipt another instance wrote meanwhile. On failure
     * the receipts stay queued for the next call.
     */
    void flush(Receipts receipts) throws IOException {
        List<Receipt> batch;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            batch = new ArrayList<>(pending.values());
        }
        receipts.refresh();
        List<Receipt> due = batch.stream().filter(r -> !receipts.isFinal(r.transfer())).toList();
        receipts.record(due);
        synchronized (this) {
            batch.forEach(r -> pending.remove(r.transfer(), r));
        }
    }
}
