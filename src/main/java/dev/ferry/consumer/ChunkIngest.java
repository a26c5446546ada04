package dev.ferry.consumer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

import dev.ferry.DaemonThreads;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.InvalidRecordException;
import dev.ferry.chunk.RelativePaths;
import dev.ferry.chunk.WireFormat;
import dev.ferry.kafka.Channels;
import dev.ferry.trust.Authenticity;
import dev.ferry.trust.KeyRing;

/**
 * Receives chunk records from Kafka and stages them on worker threads (file I/O never runs on the event loop), each
 * partition's in order on its lane ({@link PartitionLanes}), different partitions side by side; the {@link Assembler}
 * decides when each is acknowledged.
 * <p>
 * The one place that tells a record's fault from the environment's. A record that is not a valid Ferry chunk, names an
 * unsafe path or claims what this consumer cannot hold is the record's fault: it goes to the dead-letter topic with the
 * reason ({@link DeadLetters}), its producer gets a failed receipt, and consumption goes on with the next record. A
 * write that fails for any other reason (disk full, I/O error, Kafka unreachable for the dead letter) is the
 * environment's: the same record is retried, nothing after it is processed, readiness is down. A sealed record whose
 * key is not here yet is the environment's fault too, but only its route waits: it and the later records of its topic
 * are held aside ({@link HeldRecords}) and taken up when the key is mounted. Nothing a record does reaches the
 * connector as a failure, so no record can stop the channel.
 */
@ApplicationScoped
public class ChunkIngest {

    private static final Logger LOG = Logger.getLogger(ChunkIngest.class);
    private static final CompletionStage<Void> DONE = CompletableFuture.completedFuture(null);

    @Inject
    ConsumerService consumer;

    @Inject
    KeyRing keys;

    private final HeldRecords held = new HeldRecords();
    private ScheduledExecutorService retrier;

    /**
     * Hands the record to its partition's lane ({@link PartitionLanes}): partitions are staged side by side, each in
     * order. Waits while the lanes hold their byte budget, so what the connector hands over stays bounded.
     */
    @Incoming(Channels.CHUNKS_IN)
    @Blocking
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public CompletionStage<Void> ingest(Message<RecordValue> message) {
        @SuppressWarnings("unchecked")
        IncomingKafkaRecordMetadata<String, RecordValue> kafka = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .orElseThrow(() -> new IllegalStateException("chunks-in must be a Kafka channel"));
        TopicPartition partition = new TopicPartition(kafka.getTopic(), kafka.getPartition());
        RecordValue payload = message.getPayload();
        try {
            consumer.lanes().submit(partition, payload == null ? 0 : payload.length(),
                    () -> ingest(message, kafka, partition));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stopping: unacknowledged, read again later
        } catch (RejectedExecutionException e) {
            // stopping: unacknowledged, read again later
        }
        return DONE;
    }

    /** Checks, opens and stages one record, on its partition's lane; never throws. */
    private CompletionStage<Void> ingest(Message<RecordValue> message,
            IncomingKafkaRecordMetadata<String, RecordValue> kafka, TopicPartition partition) {
        WireFormat.Signed signed;
        try {
            signed = WireFormat.decodeSigned(kafka.getKey(), kafka.getHeaders(), bytes(message));
        } catch (InvalidRecordException e) {
            return refuse(message, kafka, partition, "invalid-record", e.getMessage(), false,
                    !keys.signaturesRequired());
        }
        Authenticity authenticity = keys.check(signed.keyId(), signed.signature(),
                () -> WireFormat.signedBytes(signed, partition.topic()));
        if (authenticity.refused()) {
            // Nothing a record that is not the producer's says can be believed: its transfer is not told, not ended.
            return refuse(message, kafka, partition, authenticity.category, authenticity.reason(signed.keyId()), false,
                    false);
        }
        // Only a record its producer really wrote may fail its transfer (and so make the producer send it again).
        boolean tellProducer = authenticity == Authenticity.AUTHENTIC || !keys.signaturesRequired();
        HeldRecords.Held record = new HeldRecords.Held(message, kafka, partition, signed, tellProducer);
        if (held.holds(partition.topic())) {
            return hold(record); // behind its route's records that wait for a key: order is kept
        }
        CompletionStage<Void> handled = handle(record);
        return handled != null ? handled : hold(record);
    }

    /**
     * Opens (if sealed) and stages one record whose signature is settled.
     *
     * @return when it is handled; null if it is sealed with a key this consumer does not have: it must be held
     */
    private CompletionStage<Void> handle(HeldRecords.Held held) {
        Message<RecordValue> message = held.message();
        IncomingKafkaRecordMetadata<String, RecordValue> kafka = held.kafka();
        TopicPartition partition = held.partition();
        WireFormat.Signed signed = held.signed();
        boolean tellProducer = held.tellProducer();
        String source = partition.toString();
        FerryRecord record;
        if (!signed.isSealed()) {
            record = signed.record();
        } else {
            try {
                record = WireFormat.open(signed, keys.openerFor(partition.topic(), signed));
            } catch (KeyRing.MissingKeyException e) {
                // The environment's fault (a Secret not mounted yet), not the record's: readiness down naming the key.
                consumer.storage().failed(StorageStatus.Area.KEYS,
                        "Records of topic " + partition.topic() + " are held", new IOException(e.getMessage()));
                return null;
            } catch (InvalidRecordException e) {
                return refuse(message, kafka, partition, "unopenable", e.getMessage(), false, tellProducer);
            }
        }
        while (true) {
            try {
                Assembler assembler = consumer.assemblerFor(kafka.getTopic()).orElse(null);
                if (assembler == null) {
                    // UnroutedRecords keeps unrouted topics out; only a record already queued when its route went
                    // away with no assembler left can land here. Like a full disk: hold it until a route appears.
                    throw new IOException("no route delivers topic " + kafka.getTopic());
                }
                assembler.accept(record, partition, message::ack);
                if (message.getPayload() != null) {
                    message.getPayload().release(); // the ack may be held until delivery: not the bytes with it
                }
                consumer.storage().succeeded(StorageStatus.Area.STAGING);
                break;
            } catch (InvalidRecordException e) {
                return refuse(message, kafka, partition, "invalid-record", told(signed, e.getMessage()), false,
                        tellProducer);
            } catch (UnsafePathException e) {
                return refuse(message, kafka, partition, "unsafe-path", told(signed, e.getMessage()), false,
                        tellProducer);
            } catch (IOException | UncheckedIOException e) {
                IOException io = e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
                if (RecordFaults.isRecordFault(io)) {
                    return refuse(message, kafka, partition, "undeliverable", told(signed, io.getMessage()), true,
                            tellProducer);
                }
                consumer.storage().failed(StorageStatus.Area.STAGING, "Record " + source + "@" + kafka.getOffset()
                        + " (transfer " + record.transferId() + ") could not be staged", io);
                if (!consumer.awaitRetry(StorageStatus.Area.STAGING)) {
                    return DONE; // stopping: unacknowledged, read again later
                }
            } catch (RuntimeException e) {
                // A defect that this record brings out: refusing the record keeps every other transfer moving.
                LOG.errorf(e, "Record %s@%d (transfer %s) could not be handled", source, kafka.getOffset(),
                        record.transferId());
                return refuse(message, kafka, partition, "internal-error", told(signed, e.toString()), false,
                        tellProducer);
            }
        }
        return DONE;
    }

    /**
     * Sets a record aside until its key is here, so only its route waits; past {@link HeldRecords#MAX_BYTES} every
     * route waits.
     */
    private CompletionStage<Void> hold(HeldRecords.Held record) {
        while (!held.add(record)) {
            if (!consumer.awaitRetry(StorageStatus.Area.KEYS)) {
                return DONE; // stopping: unacknowledged, read again later
            }
            sleepBriefly();
        }
        synchronized (this) {
            if (retrier == null) {
                retrier = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-held-records"));
                retrier.scheduleWithFixedDelay(this::retryHeld, 1, 1, TimeUnit.SECONDS);
            }
        }
        return DONE;
    }

    /** Takes up held records, oldest first per topic, as far as their keys are here now. */
    private void retryHeld() {
        try {
            for (String topic : held.topics()) {
                for (HeldRecords.Held h = held.first(topic); h != null; h = held.first(topic)) {
                    if (handle(h) == null) {
                        break; // its key is still not here
                    }
                    held.handled(topic);
                }
            }
            if (held.isEmpty()) {
                consumer.storage().succeeded(StorageStatus.Area.KEYS);
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "Retrying %d held records failed; tried again in a second", held.count());
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @PreDestroy
    synchronized void stop() {
        if (retrier != null) {
            retrier.shutdownNow(); // held records stay unacknowledged: read again after the restart
        }
    }

    /**
     * The reason to write to Kafka (dead-letter topic, failed receipt) for a refusal: for a sealed record a reason may
     * quote its path, which must not leave this process, so Kafka gets the kind of fault and the log the reason.
     */
    private static String told(WireFormat.Signed signed, String reason) {
        if (!signed.isSealed()) {
            return reason;
        }
        LOG.warnf("Sealed record of transfer %s refused: %s", signed.record().transferId(), reason);
        return "refused for a reason that names its sealed path: see the consumer's log for transfer "
                + signed.record().transferId();
    }

    /**
     * Dead-letters a record, tells its producer (if the record names a transfer), and acknowledges it. A dead-letter
     * write that fails is retried like a full disk; the record is not acknowledged until it is in the dead-letter
     * topic.
     *
     * @param dropAssembly
     *            the record's transfer attempt cannot complete here (a write the file system refuses): its staged data
     *            goes too
     * @param tellProducer
     *            the record is its producer's (signed, or signatures are not required): its transfer's attempt is
     *            failed with a receipt. A record that may be forged changes nothing but the dead-letter topic.
     */
    private CompletionStage<Void> refuse(Message<RecordValue> message,
            IncomingKafkaRecordMetadata<String, RecordValue> kafka, TopicPartition partition, String category,
            String reason, boolean dropAssembly, boolean tellProducer) {
        String source = partition.toString();
        while (true) {
            try {
                consumer.deadLetters().write(partition, kafka.getOffset(), kafka.getKey(), bytes(message),
                        kafka.getHeaders(), category, reason);
                consumer.storage().succeeded(StorageStatus.Area.DEAD_LETTER);
                break;
            } catch (IOException e) {
                consumer.storage().failed(StorageStatus.Area.DEAD_LETTER,
                        "Record " + source + "@" + kafka.getOffset() + " could not be dead-lettered", e);
                if (!consumer.awaitRetry(StorageStatus.Area.DEAD_LETTER)) {
                    return CompletableFuture.completedFuture(null); // stopping: unacknowledged, read again later
                }
            }
        }
        consumer.deadLettered(source + "@" + kafka.getOffset(), kafka.getKey(), category, reason);
        LOG.warnf("Record %s@%d refused (%s), sent to the dead-letter topic: %s", source, kafka.getOffset(), category,
                reason);
        String transfer = kafka.getKey();
        if (tellProducer && WireFormat.isTransferId(transfer)) {
            int attempt = attemptOf(kafka.getHeaders());
            consumer.assemblerFor(partition.topic()).ifPresent(
                    a -> a.refused(transfer, attempt, pathOf(kafka.getHeaders()), partition, reason, dropAssembly));
        }
        return message.ack();
    }

    private static byte[] bytes(Message<RecordValue> message) {
        return message.getPayload() == null ? null : message.getPayload().bytes();
    }

    /** The attempt a refused record names, if it names one readably; 0 otherwise (a receipt for any attempt). */
    private static int attemptOf(Headers headers) {
        Header h = headers == null ? null : headers.lastHeader(WireFormat.ATTEMPT_HEADER);
        return h != null && h.value() != null && h.value().length == Integer.BYTES
                ? Math.max(0, ByteBuffer.wrap(h.value()).getInt())
                : 0;
    }

    /** The path a refused record names, for its receipt; only if it passes the path rule. */
    private static String pathOf(Headers headers) {
        Header h = headers == null ? null : headers.lastHeader(WireFormat.PATH_HEADER);
        if (h == null || h.value() == null) {
            return null;
        }
        try {
            return RelativePaths.decode(h.value(), WireFormat.PATH_HEADER);
        } catch (InvalidRecordException e) {
            return null;
        }
    }
}
