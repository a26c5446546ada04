package dev.ferry.consumer;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * What an {@link Assembler} keeps for one partition: the transfers being assembled from its records, and whether this
 * consumer reads the partition now. A transfer's attempt lives in one partition (the producer fixes it), and the
 * safe-offset rule is a rule per partition, so this is the unit that can later be worked on by its own thread; what
 * partitions share (the delivery batch, the cap on open files and unfinished transfers) stays with the assembler.
 */
final class PartitionAssemblies {

    final TopicPartition partition;
    private final Map<String, Assembly> byTransfer = new HashMap<>();
    /** Assigned to this consumer now; a revoked partition keeps its staged transfers until it returns or they end. */
    private boolean assigned;

    PartitionAssemblies(TopicPartition partition) {
        this.partition = partition;
    }

    Assembly get(String transferId) {
        return byTransfer.get(transferId);
    }

    void put(Assembly a) {
        byTransfer.put(a.transferId, a);
    }

    void remove(Assembly a) {
        byTransfer.remove(a.transferId, a);
    }

    Collection<Assembly> all() {
        return byTransfer.values();
    }

    boolean isEmpty() {
        return byTransfer.isEmpty();
    }

    boolean isAssigned() {
        return assigned;
    }

    void assigned(boolean assigned) {
        this.assigned = assigned;
    }

    /**
     * The partition moved away: its held acknowledgements are dropped, so the commit stays before its unfinished files
     * and their next owner reads all of them.
     */
    void revoke() {
        assigned = false;
        byTransfer.values().forEach(a -> a.heldAck = null);
    }
}
