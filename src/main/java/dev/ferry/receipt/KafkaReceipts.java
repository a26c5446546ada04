package dev.ferry.receipt;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import dev.ferry.kafka.KafkaClients;

/**
 * {@link Receipts} kept in a compacted Kafka topic, read into memory as a table: the whole topic at start-up, then
 * whatever is new on each {@link #refresh()}. The table holds the latest receipt of each transfer the {@code keep}
 * predicate accepts (the consumer keeps all of them, the producer all but those its ledger has finished), so its size
 * follows the number of transfers within the topic's retention, not their bytes.
 * <p>
 * Not a consumer group: every reader reads every partition, positioned by hand, and commits nothing.
 */
public final class KafkaReceipts implements Receipts, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KafkaReceipts.class);

    private final String topic;
    private final Duration timeout;
    private final Predicate<String> keep;
    private final KafkaConsumer<String, String> reader;
    private final KafkaProducer<String, String> writer;
    private final Map<String, Receipt> table = new HashMap<>();
    private List<TopicPartition> partitions;

    /**
     * @param writable
     *            false for a process that only reads receipts (no producer client is made)
     * @param keep
     *            which transfer ids to remember
     */
    public KafkaReceipts(Map<String, Object> kafka, String topic, String clientId, boolean writable,
            Predicate<String> keep, Duration timeout) {
        this.topic = topic;
        this.timeout = timeout;
        this.keep = keep;
        this.reader = new KafkaConsumer<>(KafkaClients.reader(kafka, clientId + "-reader"));
        this.writer = writable ? new KafkaProducer<>(KafkaClients.durableProducer(kafka, clientId + "-writer")) : null;
    }

    @Override
    public synchronized Optional<Receipt> find(String transferId) {
        return Optional.ofNullable(table.get(transferId));
    }

    /** Receipts in the table now (for the producer's pending transfers, or all of them on the consumer side). */
    public synchronized int size() {
        return table.size();
    }

    /** A copy of the whole table, for {@code verify}. */
    public synchronized Map<String, Receipt> all() {
        return new HashMap<>(table);
    }

    @Override
    public synchronized void refresh() throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (partitions == null) {
                List<PartitionInfo> infos = reader.partitionsFor(topic, timeout);
                if (infos == null || infos.isEmpty()) {
                    throw new IOException("receipts topic " + topic + " does not exist");
                }
                partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                reader.assign(partitions);
                reader.seekToBeginning(partitions);
            }
            Map<TopicPartition, Long> end = reader.endOffsets(partitions, timeout);
            while (!reached(end)) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("receipts topic " + topic + " not read up to its end within " + timeout);
                }
                for (ConsumerRecord<String, String> record : reader.poll(Duration.ofMillis(100))) {
                    apply(record);
                }
            }
        } catch (KafkaException e) {
            throw new IOException("cannot read receipts topic " + topic + ": " + e, e);
        }
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (reader.position(e.getKey(), timeout) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void apply(ConsumerRecord<String, String> record) {
        String id = record.key();
        if (id == null || !keep.test(id)) {
            return;
        }
        if (record.value() == null) {
            table.remove(id);
            return;
        }
        try {
            table.put(id, Receipt.parse(record.value()));
        } catch (IllegalArgumentException e) {
            LOG.warnf("Ignoring unreadable record %s-%d@%d in the receipts topic: %s", record.topic(),
                    record.partition(), record.offset(), e.getMessage());
        }
    }

    @Override
    public void record(List<Receipt> receipts) throws IOException {
        if (writer == null) {
            throw new IllegalStateException("this process only reads receipts");
        }
        if (receipts.isEmpty()) {
            return;
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try {
            for (Receipt r : receipts) {
                sends.add(writer.send(new ProducerRecord<>(topic, r.transfer(), r.toJson())));
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Future<RecordMetadata> send : sends) {
                send.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing receipts", e);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw new IOException("receipts not acknowledged by Kafka (topic " + topic + "): "
                    + (e.getCause() != null ? e.getCause() : e), e);
        }
        synchronized (this) {
            for (Receipt r : receipts) {
                if (keep.test(r.transfer())) {
                    table.put(r.transfer(), r);
                }
            }
        }
    }

    /** Forgets a transfer the caller no longer needs (the producer, once it acted on the receipt). */
    public synchronized void forget(String transferId) {
        table.remove(transferId);
    }

    @Override
    public synchronized void close() {
        reader.close(Duration.ofSeconds(2));
        if (writer != null) {
            writer.close(Duration.ofSeconds(2));
        }
    }
}
