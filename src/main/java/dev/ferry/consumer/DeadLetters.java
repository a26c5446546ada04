package dev.ferry.consumer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import dev.ferry.kafka.KafkaClients;

/**
 * Writes refused records to the dead-letter topic, with the reason in the {@code dead-letter-reason} header and where
 * the record came from in {@code dead-letter-topic}, {@code -partition} and {@code -offset} (the header names
 * SmallRye's dead-letter strategy uses, so existing tooling reads both).
 * <p>
 * Ferry writes them itself rather than through the connector's failure strategy, whose failed dead-letter write ends
 * the channel: here a failed write is an {@link IOException}, which the caller treats like a full disk (held, retried,
 * readiness down) and never as the end of consumption. A record too large for the dead-letter topic keeps its key and
 * headers and loses its value (header {@code dead-letter-value-dropped} = its size), so no record can be too big to be
 * refused.
 */
final class DeadLetters implements AutoCloseable {

    static final String REASON = "dead-letter-reason";
    static final String CATEGORY = "dead-letter-category";
    static final String TOPIC = "dead-letter-topic";
    static final String PARTITION = "dead-letter-partition";
    static final String OFFSET = "dead-letter-offset";
    static final String VALUE_DROPPED = "dead-letter-value-dropped";

    /** Kept free in a dead letter for Ferry's own headers and Kafka's framing. */
    private static final int OWN_HEADROOM = 2 * 1024;

    private final String topic;
    private final int maxRecordBytes;
    private final Duration timeout;
    private final KafkaProducer<String, byte[]> writer;

    /**
     * @param maxRecordBytes
     *            the largest record the dead-letter topic takes
     */
    DeadLetters(Map<String, Object> kafka, String topic, int maxRecordBytes, String clientId, Duration timeout) {
        this.topic = topic;
        this.maxRecordBytes = maxRecordBytes;
        this.timeout = timeout;
        Map<String, Object> settings = KafkaClients.durableProducer(kafka, clientId);
        settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        settings.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRecordBytes);
        // A dead-letter write waits at most this long for metadata or buffer space; then the caller retries it.
        settings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        this.writer = new KafkaProducer<>(settings);
    }

    /**
     * Writes one refused record and waits for Kafka's acknowledgement.
     *
     * @param category
     *            a short, fixed word for metrics ({@code invalid-record}, {@code unsafe-path}, ...)
     *
     * @throws IOException
     *             if Kafka did not take it: not the record's fault, the caller retries
     */
    void write(TopicPartition from, long offset, String key, byte[] value, Headers original, String category,
            String reason) throws IOException {
        Headers headers = new RecordHeaders();
        int size = (key == null ? 0 : key.length() * 4) + OWN_HEADROOM;
        if (original != null) {
            for (Header h : original) {
                size += h.key().length() * 4 + (h.value() == null ? 0 : h.value().length) + 8;
            }
        }
        boolean keepHeaders = size <= maxRecordBytes;
        if (keepHeaders && original != null) {
            original.forEach(headers::add);
        }
        byte[] kept = value;
        if (value != null && (!keepHeaders || size + value.length > maxRecordBytes)) {
            kept = null;
            headers.add(VALUE_DROPPED, Long.toString(value.length).getBytes(StandardCharsets.UTF_8));
        }
        headers.add(REASON, truncate(reason, 1024).getBytes(StandardCharsets.UTF_8));
        headers.add(CATEGORY, category.getBytes(StandardCharsets.UTF_8));
        headers.add(TOPIC, from.topic().getBytes(StandardCharsets.UTF_8));
        headers.add(PARTITION, Integer.toString(from.partition()).getBytes(StandardCharsets.UTF_8));
        headers.add(OFFSET, Long.toString(offset).getBytes(StandardCharsets.UTF_8));
        String keptKey = key != null && key.length() > 256 ? key.substring(0, 256) : key;
        try {
            try {
                send(keptKey, kept, headers);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RecordTooLargeException) || kept == null) {
                    throw e;
                }
                // The topic's limit went down since start-up: the reason matters more than the bytes.
                headers.add(VALUE_DROPPED, Long.toString(kept.length).getBytes(StandardCharsets.UTF_8));
                send(keptKey, null, headers);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing to the dead-letter topic " + topic, e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw new IOException("the dead-letter topic " + topic + " did not take the record: "
                    + (e.getCause() != null ? e.getCause() : e), e);
        }
    }

    private void send(String key, byte[] value, Headers headers)
            throws InterruptedException, ExecutionException, TimeoutException {
        writer.send(new ProducerRecord<>(topic, null, key, value, headers)).get(timeout.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    @Override
    public void close() {
        writer.close(Duration.ofSeconds(2));
    }
}
