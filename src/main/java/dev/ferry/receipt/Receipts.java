package dev.ferry.receipt;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * The receipts both roles share: what the consumer side did with each transfer. The consumer records a receipt for
 * every finished transfer; the producer reads them to learn that its files arrived.
 */
public interface Receipts {

    /** The latest receipt known for {@code transferId}, without asking Kafka. */
    Optional<Receipt> find(String transferId);

    /** True if the transfer has a final receipt: nothing of it is to be delivered again. */
    default boolean isFinal(String transferId) {
        return find(transferId).map(r -> r.outcome().isFinal()).orElse(false);
    }

    /**
     * Reads every receipt written before this call. After it returns, {@link #find} knows every receipt acknowledged
     * before it was called, whoever wrote it.
     */
    void refresh() throws IOException;

    /** Writes receipts and returns once Kafka has acknowledged all of them. */
    void record(List<Receipt> receipts) throws IOException;
}
