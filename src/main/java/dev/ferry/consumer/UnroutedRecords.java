package dev.ferry.consumer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Keeps records of topics that no route delivers away from the connector, inside the Kafka consumer's poll. The
 * consumer subscribes by pattern, so it may be assigned a topic whose route was removed or not added yet. A record
 * handed to the connector would have to be acknowledged (committed past: lost) or held (memory, and the commit of the
 * whole partition stuck); a record dropped here was never received, so nothing commits past it, and when a route for
 * its topic appears, {@link ConsumerService} seeks its partitions back to their committed offsets and reads it again.
 * <p>
 * Kafka instantiates interceptors by class name, so the routed topics are shared through static fields; there is one
 * consumer role per process.
 */
public class UnroutedRecords implements ConsumerInterceptor<String, RecordValue> {

    /** Topics with a route; {@code null} while the process has no routes file (everything passes). */
    private static volatile Set<String> routed;
    private static final Set<TopicPartition> held = ConcurrentHashMap.newKeySet();

    static void route(Set<String> topics) {
        routed = Set.copyOf(topics);
    }

    /** Partitions of {@code topic} whose records were dropped, to be read again now that it is routed. */
    static Set<TopicPartition> takeHeld(String topic) {
        Set<TopicPartition> taken = new HashSet<>();
        held.removeIf(tp -> tp.topic().equals(topic) && taken.add(tp));
        return taken;
    }

    static void forget(TopicPartition tp) {
        held.remove(tp);
    }

    @Override
    public ConsumerRecords<String, RecordValue> onConsume(ConsumerRecords<String, RecordValue> records) {
        Set<String> topics = routed;
        if (topics == null || records.isEmpty()) {
            return records;
        }
        Map<TopicPartition, List<ConsumerRecord<String, RecordValue>>> kept = new HashMap<>();
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        boolean dropped = false;
        for (TopicPartition tp : records.partitions()) {
            if (topics.contains(tp.topic())) {
                kept.put(tp, records.records(tp));
                OffsetAndMetadata n = records.nextOffsets().get(tp);
                if (n != null) {
                    next.put(tp, n);
                }
            } else {
                held.add(tp);
                dropped = true;
            }
        }
        return dropped ? new ConsumerRecords<>(kept, next) : records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    @Override
    public void close() {
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }
}
