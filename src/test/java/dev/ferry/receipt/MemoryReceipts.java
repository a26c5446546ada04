package dev.ferry.receipt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * Receipts in memory, for unit tests of the logic around them (assembly, source policy). It outlives the component
 * under test, as the receipts topic outlives a consumer, and can be told to fail like an unreachable topic. Transfer
 * tests use the real topic.
 */
public final class MemoryReceipts implements Receipts {

    private final Map<String, Receipt> table = new HashMap<>();
    private final List<Receipt> recorded = new ArrayList<>();
    private int refreshFailures;
    private int recordFailures;
    private volatile CountDownLatch held;
    private volatile CountDownLatch recordWaiting = new CountDownLatch(0);

    @Override
    public synchronized Optional<Receipt> find(String transferId) {
        return Optional.ofNullable(table.get(transferId));
    }

    @Override
    public synchronized void refresh() throws IOException {
        if (refreshFailures > 0) {
            refreshFailures--;
            throw new IOException("receipts topic unreachable (test)");
        }
    }

    @Override
    public void record(List<Receipt> receipts) throws IOException {
        CountDownLatch gate = held;
        if (gate != null) {
            // Like a slow acks=all round trip: the caller waits, nothing else does.
            recordWaiting.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted (test)", e);
            }
        }
        synchronized (this) {
            if (recordFailures > 0) {
                recordFailures--;
                throw new IOException("receipts not acknowledged (test)");
            }
            for (Receipt r : receipts) {
                table.put(r.transfer(), r);
                recorded.add(r);
            }
        }
    }

    /**
     * Calls to {@link #record} wait until {@link #releaseRecords}.
     *
     * @return counted down once a call waits
     */
    public CountDownLatch holdRecords() {
        recordWaiting = new CountDownLatch(1);
        held = new CountDownLatch(1);
        return recordWaiting;
    }

    /** Lets held and later calls to {@link #record} go on. */
    public void releaseRecords() {
        CountDownLatch gate = held;
        held = null;
        if (gate != null) {
            gate.countDown();
        }
    }

    /** The next {@code n} calls to {@link #refresh} fail. */
    public synchronized void failRefreshes(int n) {
        refreshFailures = n;
    }

    /** The next {@code n} calls to {@link #record} fail. */
    public synchronized void failRecords(int n) {
        recordFailures = n;
    }

    /** Every receipt recorded, in order. */
    public synchronized List<Receipt> recorded() {
        return new ArrayList<>(recorded);
    }
}
