package dev.ferry.receipt;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
    public synchronized void record(List<Receipt> receipts) throws IOException {
        if (recordFailures > 0) {
            recordFailures--;
            throw new IOException("receipts not acknowledged (test)");
        }
        for (Receipt r : receipts) {
            table.put(r.transfer(), r);
            recorded.add(r);
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
