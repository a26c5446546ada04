package dev.ferry.receipt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jboss.logging.Logger;

import dev.ferry.chunk.WireFormat;
import dev.ferry.kafka.KafkaClients;
import dev.ferry.trust.Authenticity;
import dev.ferry.trust.KeyRing;
import dev.ferry.trust.RecordSignatures;
import dev.ferry.trust.SealingKey;

/**
 * {@link Receipts} kept in a compacted Kafka topic, read into memory: the whole topic at start-up, then whatever is new
 * on each {@link #refresh()}. Every transfer's latest outcome and attempt go into a compact {@link ReceiptIndex} (about
 * 30 bytes each, so a million receipts fit a small heap); whole receipts are kept only for the transfers the
 * {@code keep} predicate names and for the most recent {@link #RECENT} others, and {@link #find} answers the rest from
 * the index (outcome and attempt, no details).
 * <p>
 * Anyone who can write the topic can write anything to it, so every record is checked before it is kept: the key must
 * be a transfer id, the value at most {@link #MAX_RECEIPT_BYTES}, a receipt of the transfer its key names. Other
 * records are skipped and counted, with one log line per hundred.
 * <p>
 * Not a consumer group: every reader reads every partition, positioned by hand, and commits nothing.
 */
public final class KafkaReceipts implements Receipts, AutoCloseable {

    /** The longest receipt read: a path (4 KiB), a reason (1 KiB) and the rest, with room to spare. */
    public static final int MAX_RECEIPT_BYTES = 16 * 1024;
    /** Whole receipts kept besides the {@code keep} ones, most recent first. */
    static final int RECENT = 10_000;

    private static final Logger LOG = Logger.getLogger(KafkaReceipts.class);

    private final String topic;
    private final Duration timeout;
    private final Predicate<String> keep;
    private final KafkaProducer<String, String> writer;

    private final ReceiptIndex index = new ReceiptIndex();
    private final Map<String, Receipt> table = new HashMap<>();
    private final Map<String, Receipt> recent = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Receipt> eldest) {
            return size() > RECENT;
        }
    };
    private final KafkaConsumer<String, byte[]> reader;
    private KeyRing keys;
    private Consumer<String> onRejected = reason -> {
    };
    private long skipped;
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
        Map<String, Object> settings = KafkaClients.reader(kafka, clientId + "-reader");
        settings.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // Receipts are small: a fetch never needs to hold more than this, whatever the topic holds.
        settings.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1 << 20);
        settings.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 4 << 20);
        settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        this.reader = new KafkaConsumer<>(settings);
        this.writer = writable ? new KafkaProducer<>(KafkaClients.durableProducer(kafka, clientId + "-writer")) : null;
    }

    /**
     * Signs the receipts this process writes with its key, and keeps only receipts whose signature {@code keys} accepts
     * (with {@code ferry.require-signatures}, only receipts signed by a trusted key): a receipt anyone could have
     * written is never acted on. {@code onRejected} hears the category of each receipt refused (for a metric).
     */
    public KafkaReceipts signedWith(KeyRing keys, Consumer<String> onRejected) {
        this.keys = keys;
        this.onRejected = onRejected;
        return this;
    }

    @Override
    public synchronized Optional<Receipt> find(String transferId) {
        Receipt whole = table.get(transferId);
        if (whole == null) {
            whole = recent.get(transferId);
        }
        if (whole != null || !WireFormat.isTransferId(transferId)) {
            return Optional.ofNullable(whole);
        }
        ReceiptIndex.Entry e = index.get(transferId);
        return e == null ? Optional.empty()
                : Optional.of(new Receipt(Receipt.VERSION, transferId, e.attempt(), e.outcome(), null, null, -1, null,
                        null, null, null, null, null));
    }

    @Override
    public synchronized boolean isFinal(String transferId) {
        if (!WireFormat.isTransferId(transferId)) {
            return false;
        }
        ReceiptIndex.Entry e = index.get(transferId);
        return e != null && e.outcome().isFinal();
    }

    /** Transfers with a receipt now. */
    public synchronized int size() {
        return index.size();
    }

    /** Records of the receipts topic skipped as not receipts (bad key, too large, unreadable). */
    public synchronized long skipped() {
        return skipped;
    }

    /** Every whole receipt kept: for {@code verify}, which keeps all of them ({@code keep} accepts every id). */
    public synchronized Map<String, Receipt> all() {
        return new HashMap<>(table);
    }

    @Override
    public synchronized void refresh() throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (partitions == null) {
                List<PartitionInfo> infos = reader.partitionsFor(topic, timeout);
                // Just created (by this process at start-up): the metadata may not list it yet. Asked again until
                // the deadline, so a start right after the topic's creation does not fail.
                while ((infos == null || infos.isEmpty()) && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    infos = reader.partitionsFor(topic, timeout);
                }
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
                List<ConsumerRecord<String, byte[]>> batch = new ArrayList<>();
                reader.poll(Duration.ofMillis(100)).forEach(batch::add);
                Authenticity[] verdicts = checkSignatures(batch);
                for (int i = 0; i < batch.size(); i++) {
                    apply(batch.get(i), verdicts == null ? Authenticity.UNCHECKED : verdicts[i]);
                }
            }
        } catch (KafkaException e) {
            throw new IOException("cannot read receipts topic " + topic + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading receipts topic " + topic, e);
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

    /**
     * The signature verdict of each record, checked on every core: a signature costs about 0.1 ms to check, and a
     * consumer starting on a million receipts checks them all before its first record. Null without keys.
     */
    private Authenticity[] checkSignatures(List<ConsumerRecord<String, byte[]>> batch) {
        if (keys == null) {
            return null;
        }
        Authenticity[] verdicts = new Authenticity[batch.size()];
        IntStream.range(0, batch.size()).parallel().forEach(i -> {
            ConsumerRecord<String, byte[]> r = batch.get(i);
            boolean plausible = WireFormat.isTransferId(r.key())
                    && (r.value() == null || r.value().length <= MAX_RECEIPT_BYTES);
            verdicts[i] = plausible
                    ? RecordSignatures.check(keys, Receipt.SIGNATURE_DOMAIN, r.topic(), r.key(), r.value(), r.headers())
                    : Authenticity.UNCHECKED;
        });
        return verdicts;
    }

    private void apply(ConsumerRecord<String, byte[]> record, Authenticity authenticity) {
        String id = record.key();
        if (!WireFormat.isTransferId(id)) {
            skip(record, "its key is not a transfer id");
            return;
        }
        if (authenticity.refused()) {
            // Tombstones too: Ferry never writes one, and a forged one would make a delivered file deliverable again.
            onRejected.accept(authenticity.category);
            skip(record,
                    "its signature is refused: " + authenticity.reason(RecordSignatures.signerOf(record.headers())));
            return;
        }
        if (record.value() == null) {
            index.remove(id);
            table.remove(id);
            recent.remove(id);
            return;
        }
        if (record.value().length > MAX_RECEIPT_BYTES) {
            skip(record, "it has " + record.value().length + " bytes, more than a receipt (" + MAX_RECEIPT_BYTES + ")");
            return;
        }
        Receipt r;
        try {
            r = Receipt.parse(new String(record.value(), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            skip(record, e.getMessage());
            return;
        }
        if (!id.equals(r.transfer())) {
            skip(record, "its key names another transfer than its value");
            return;
        }
        keep(r);
    }

    private void keep(Receipt r) {
        index.put(r.transfer(), r.outcome(), r.attempt());
        if (keep.test(r.transfer())) {
            table.put(r.transfer(), r);
        } else {
            recent.put(r.transfer(), r);
        }
    }

    private void skip(ConsumerRecord<String, byte[]> record, String why) {
        if (skipped++ % 100 == 0) {
            LOG.warnf("Skipping record %s-%d@%d of the receipts topic: %s (%d skipped so far)", record.topic(),
                    record.partition(), record.offset(), why.length() > 200 ? why.substring(0, 200) + "..." : why,
                    skipped);
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
                SealingKey sealing = keys == null ? null : keys.receiptKeyFor(r.topic()).orElse(null);
                // With end-to-end encryption, no path, target or reason reaches the topic in the clear.
                String json = (sealing == null ? r : SealedReceipts.seal(r, sealing)).toJson();
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, r.transfer(), json);
                if (keys != null) {
                    RecordSignatures.sign(keys, Receipt.SIGNATURE_DOMAIN, topic, r.transfer(),
                            json.getBytes(StandardCharsets.UTF_8), record.headers());
                }
                sends.add(writer.send(record));
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
            receipts.forEach(this::keep);
        }
    }

    /** Forgets a transfer the caller no longer needs (the producer, once it acted on the receipt). */
    public synchronized void forget(String transferId) {
        table.remove(transferId);
        recent.remove(transferId);
        index.remove(transferId);
    }

    @Override
    public synchronized void close() {
        reader.close(Duration.ofSeconds(2));
        if (writer != null) {
            writer.close(Duration.ofSeconds(2));
        }
    }
}
