package dev.ferry.consumer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.reactive.messaging.Message;

import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

import dev.ferry.chunk.WireFormat;

/**
 * Records of a route that wait for a key this consumer does not have yet (a sealed record whose route key is not
 * mounted): set aside in arrival order, unacknowledged, so that the other routes keep moving. While a topic holds
 * records, every later record of it queues behind them, so a partition's order is kept; its committed offset stays
 * before the first held record, so a restart reads them all again.
 * <p>
 * Bounded by {@link #MAX_BYTES} of record values: past that the consumer waits (every route) until the key comes, as a
 * full disk would make it wait.
 */
final class HeldRecords {

    /** Values held at most, over all topics: 64 MiB, the size of a few fetches. */
    static final long MAX_BYTES = 64L << 20;

    /** One record set aside, with what was already decided about it. */
    record Held(Message<RecordValue> message, IncomingKafkaRecordMetadata<String, RecordValue> kafka,
            TopicPartition partition, WireFormat.Signed signed, boolean tellProducer) {

        long bytes() {
            return message.getPayload() == null ? 0 : message.getPayload().length();
        }
    }

    private final Map<String, ArrayDeque<Held>> byTopic = new HashMap<>();
    private long bytes;

    /** Whether records of {@code topic} are held: a new one must queue behind them. */
    synchronized boolean holds(String topic) {
        return byTopic.containsKey(topic);
    }

    /**
     * Sets {@code held} aside behind the others of its topic.
     *
     * @return false if that would pass {@link #MAX_BYTES} (and the topic already holds some): try again later
     */
    synchronized boolean add(Held held) {
        ArrayDeque<Held> queue = byTopic.get(held.partition().topic());
        if (queue != null && bytes + held.bytes() > MAX_BYTES) {
            return false;
        }
        byTopic.computeIfAbsent(held.partition().topic(), t -> new ArrayDeque<>()).add(held);
        bytes += held.bytes();
        return true;
    }

    synchronized List<String> topics() {
        return List.copyOf(byTopic.keySet());
    }

    /** The oldest record held for {@code topic}; null if none. */
    synchronized Held first(String topic) {
        ArrayDeque<Held> queue = byTopic.get(topic);
        return queue == null ? null : queue.peek();
    }

    /**
     * Removes the oldest record of {@code topic}, once it has been handled; the topic is free again when it was the
     * last, in the same step, so a record arriving meanwhile either queues behind it or is handled directly.
     */
    synchronized void handled(String topic) {
        ArrayDeque<Held> queue = byTopic.get(topic);
        if (queue == null) {
            return;
        }
        Held first = queue.poll();
        if (first != null) {
            bytes -= first.bytes();
        }
        if (queue.isEmpty()) {
            byTopic.remove(topic);
        }
    }

    synchronized boolean isEmpty() {
        return byTopic.isEmpty();
    }

    /** How many records are held, for readiness and logs. */
    synchronized int count() {
        return byTopic.values().stream().mapToInt(ArrayDeque::size).sum();
    }
}
