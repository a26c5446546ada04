package dev.ferry.receipt;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The latest outcome and attempt of every transfer in the receipts topic, in about 30 bytes per transfer: a transfer id
 * is 128 bits, stored as two longs in an open-addressing table (linear probing, deletion by backward shift), with no
 * object per entry. A million receipts take about 40 MiB, where a map of receipt objects took several hundred, so a
 * consumer with a small heap starts whatever the topic holds.
 * <p>
 * Not thread-safe; {@link KafkaReceipts} guards it.
 */
final class ReceiptIndex {

    private static final byte EMPTY = 0;
    private static final Receipt.Outcome[] OUTCOMES = Receipt.Outcome.values();

    private long[] high;
    private long[] low;
    /** Outcome ordinal + 1; {@link #EMPTY} marks a free slot. */
    private byte[] outcome;
    private int[] attempt;
    private int size;

    ReceiptIndex() {
        allocate(1024);
    }

    /** What the index knows of a transfer. */
    record Entry(Receipt.Outcome outcome, int attempt) {
    }

    int size() {
        return size;
    }

    /** Heap the table's arrays take. */
    long bytes() {
        return (long) high.length * (Long.BYTES * 2 + 1 + Integer.BYTES);
    }

    Entry get(String transferId) {
        long h = high(transferId);
        long l = low(transferId);
        int slot = find(h, l);
        return outcome[slot] == EMPTY ? null : new Entry(OUTCOMES[outcome[slot] - 1], attempt[slot]);
    }

    void put(String transferId, Receipt.Outcome o, int a) {
        long h = high(transferId);
        long l = low(transferId);
        int slot = find(h, l);
        if (outcome[slot] == EMPTY) {
            if ((size + 1) * 4L > high.length * 3L) {
                grow();
                slot = find(h, l);
            }
            high[slot] = h;
            low[slot] = l;
            size++;
        }
        outcome[slot] = (byte) (o.ordinal() + 1);
        attempt[slot] = a;
    }

    void remove(String transferId) {
        int slot = find(high(transferId), low(transferId));
        if (outcome[slot] == EMPTY) {
            return;
        }
        outcome[slot] = EMPTY;
        size--;
        // Backward shift: move later entries of the probe run into the hole, so lookups never stop early.
        int mask = high.length - 1;
        int hole = slot;
        for (int next = (hole + 1) & mask; outcome[next] != EMPTY; next = (next + 1) & mask) {
            int home = home(high[next], low[next]);
            boolean movable = hole <= next ? home <= hole || home > next : home <= hole && home > next;
            if (movable) {
                high[hole] = high[next];
                low[hole] = low[next];
                outcome[hole] = outcome[next];
                attempt[hole] = attempt[next];
                outcome[next] = EMPTY;
                hole = next;
            }
        }
    }

    private int find(long h, long l) {
        int mask = high.length - 1;
        int slot = home(h, l);
        while (outcome[slot] != EMPTY && (high[slot] != h || low[slot] != l)) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private int home(long h, long l) {
        // Transfer ids are SHA-256 prefixes, already uniform; mixing guards against ids chosen to collide.
        long x = h * 0x9E3779B97F4A7C15L ^ l;
        x ^= x >>> 31;
        x *= 0xBF58476D1CE4E5B9L;
        x ^= x >>> 29;
        return (int) x & (high.length - 1);
    }

    private void grow() {
        long[] oldHigh = high;
        long[] oldLow = low;
        byte[] oldOutcome = outcome;
        int[] oldAttempt = attempt;
        allocate(oldHigh.length * 2);
        for (int i = 0; i < oldHigh.length; i++) {
            if (oldOutcome[i] != EMPTY) {
                int slot = find(oldHigh[i], oldLow[i]);
                high[slot] = oldHigh[i];
                low[slot] = oldLow[i];
                outcome[slot] = oldOutcome[i];
                attempt[slot] = oldAttempt[i];
            }
        }
    }

    private void allocate(int capacity) {
        high = new long[capacity];
        low = new long[capacity];
        outcome = new byte[capacity];
        attempt = new int[capacity];
        Arrays.fill(outcome, EMPTY);
    }

    /** Callers pass only valid transfer ids (32 lower-case hex digits). */
    private static long high(String id) {
        return HexFormat.fromHexDigitsToLong(id, 0, 16);
    }

    private static long low(String id) {
        return HexFormat.fromHexDigitsToLong(id, 16, 32);
    }
}
