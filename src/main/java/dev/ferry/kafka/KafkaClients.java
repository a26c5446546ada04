package dev.ferry.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Settings for the Kafka clients Ferry runs itself, outside the messaging channels (topic admin, receipts): the
 * connection settings under {@code kafka.*} (bootstrap servers, TLS, SASL), so they reach the same cluster the same way
 * as the channels, plus what each client needs.
 */
public final class KafkaClients {

    private KafkaClients() {
    }

    public static Map<String, Object> admin(Map<String, Object> kafka, String clientId) {
        Map<String, Object> admin = only(kafka, AdminClientConfig.configNames());
        admin.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return admin;
    }

    /** A producer whose acknowledgement means every in-sync replica has the record, written once. */
    public static Map<String, Object> durableProducer(Map<String, Object> kafka, String clientId) {
        Map<String, Object> producer = only(kafka, ProducerConfig.configNames());
        producer.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Callers wait for each batch of records they send: lingering would only add to that wait.
        producer.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        return producer;
    }

    /**
     * The producer of video frames: bytes keyed by stream name, sent at once (a frame waiting for a batch is a late
     * frame), acknowledged by every in-sync replica so a replay later finds it.
     */
    public static Map<String, Object> frameProducer(Map<String, Object> kafka, String clientId, int maxRecordBytes) {
        Map<String, Object> producer = durableProducer(kafka, clientId);
        producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRecordBytes);
        return producer;
    }

    /** {@link #reader} with values as bytes: one viewer of one stream (its position is kept by the viewer). */
    public static Map<String, Object> byteReader(Map<String, Object> kafka, String clientId) {
        Map<String, Object> consumer = reader(kafka, clientId);
        consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return consumer;
    }

    /** A consumer outside any group, positioned by hand (assign and seek): it never commits. */
    public static Map<String, Object> reader(Map<String, Object> kafka, String clientId) {
        Map<String, Object> consumer = only(kafka, ConsumerConfig.configNames());
        consumer.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumer.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        consumer.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        return consumer;
    }

    private static Map<String, Object> only(Map<String, Object> kafka, Set<String> names) {
        Map<String, Object> selected = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (names.contains(key)) {
                selected.put(key, value);
            }
        });
        return selected;
    }
}
