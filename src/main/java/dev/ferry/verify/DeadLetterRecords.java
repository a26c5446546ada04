package dev.ferry.verify;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.ferry.chunk.RelativePaths;
import dev.ferry.chunk.WireFormat;
import dev.ferry.kafka.KafkaClients;

/**
 * What the consumer refused, read from the dead-letter topic for {@code verify}: a refused record is something sent
 * that will never be in the outbox, so it must not vanish from the comparison. Values are not kept (a dead letter may
 * be a 16 MiB chunk); at most {@link #MAX_KEPT} are listed, the rest counted.
 */
final class DeadLetterRecords {

    static final int MAX_KEPT = 1000;

    /**
     * One refused record: its key as written (a transfer id if it named one; cut to 256 characters), the path it named
     * (made printable), and why.
     */
    record DeadLetter(String key, String path, String reason, String sourceTopic) {
    }

    final List<DeadLetter> kept = new ArrayList<>();
    long total;

    static DeadLetterRecords read(Map<String, Object> kafka, String deadLetterTopic, Duration timeout) {
        Map<String, Object> settings = KafkaClients.reader(kafka, "ferry-verify-dead-letters");
        settings.remove(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG);
        settings.remove(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG);
        settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 100);
        DeadLetterRecords result = new DeadLetterRecords();
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(settings, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            var infos = reader.partitionsFor(deadLetterTopic, timeout);
            if (infos == null || infos.isEmpty()) {
                return result; // no dead-letter topic: nothing was refused
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(p -> new TopicPartition(deadLetterTopic, p.partition())).toList();
            reader.assign(partitions);
            reader.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = reader.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))) {
                var batch = reader.poll(Duration.ofMillis(200));
                if (batch.isEmpty() && System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "topic " + deadLetterTopic + " not read to its end within " + timeout);
                }
                if (!batch.isEmpty()) {
                    deadline = System.nanoTime() + timeout.toNanos();
                }
                for (ConsumerRecord<String, byte[]> r : batch) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    result.total++;
                    if (result.kept.size() < MAX_KEPT) {
                        result.kept.add(new DeadLetter(printableKey(r.key()), path(r.headers()),
                                text(r.headers(), "dead-letter-reason"), text(r.headers(), "dead-letter-topic")));
                    }
                }
            }
        }
        return result;
    }

    private static String printableKey(String key) {
        return key == null ? "" : key.length() > 256 ? key.substring(0, 256) : key;
    }

    private static String path(Headers headers) {
        Header h = headers.lastHeader(WireFormat.PATH_HEADER);
        if (h == null || h.value() == null || h.value().length > RelativePaths.MAX_BYTES) {
            return null;
        }
        return RelativePaths.printable(new String(h.value(), StandardCharsets.UTF_8));
    }

    private static String text(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        if (h == null || h.value() == null) {
            return null;
        }
        String s = new String(h.value(), StandardCharsets.UTF_8);
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
