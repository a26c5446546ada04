package dev.ferry.verify;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.ferry.kafka.KafkaClients;

/**
 * Reads a topic from its beginning to the end it had when reading started (records written meanwhile are left out), for
 * {@code verify}: outside any group, committing nothing, a bounded number of records per poll.
 */
final class TopicSnapshot {

    private TopicSnapshot() {
    }

    /**
     * @param missingOk
     *            a topic that does not exist reads as empty; otherwise it is an error
     *
     * @throws IllegalStateException
     *             if the topic is missing (and must exist) or is not read to its end within {@code timeout} of silence
     */
    static void read(Map<String, Object> kafka, String topic, String clientId, Duration timeout, boolean missingOk,
            Consumer<ConsumerRecord<String, byte[]>> action) {
        Map<String, Object> settings = KafkaClients.reader(kafka, clientId);
        settings.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
        settings.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
        settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(settings, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            var infos = reader.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                if (missingOk) {
                    return;
                }
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = reader.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
                var batch = reader.poll(Duration.ofMillis(200));
                if (batch.isEmpty() && System.nanoTime() > deadline) {
                    throw new IllegalStateException("topic " + topic + " not read to its end within " + timeout);
                }
                if (!batch.isEmpty()) {
                    deadline = System.nanoTime() + timeout.toNanos();
                }
                for (ConsumerRecord<String, byte[]> r : batch) {
                    if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                        action.accept(r);
                    }
                }
            }
        }
    }
}
