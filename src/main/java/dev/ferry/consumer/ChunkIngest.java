package dev.ferry.consumer;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Blocking;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;

import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.InvalidRecordException;
import dev.ferry.chunk.WireFormat;
import dev.ferry.kafka.Channels;

/**
 * Receives chunk records from Kafka, one at a time on a worker thread (file I/O never runs on the event loop), and
 * hands them to the {@link Assembler}, which decides when each is acknowledged. Records that are not valid Ferry
 * chunks, or whose path is unsafe, are nacked: the channel's dead-letter failure strategy moves them to the dead-letter
 * topic with the reason in the {@code dead-letter-reason} header, and consumption goes on.
 */
@ApplicationScoped
public class ChunkIngest {

    private static final Logger LOG = Logger.getLogger(ChunkIngest.class);

    @Inject
    ConsumerService consumer;

    @Incoming(Channels.CHUNKS_IN)
    @Blocking
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public CompletionStage<Void> ingest(Message<byte[]> message) {
        @SuppressWarnings("unchecked")
        IncomingKafkaRecordMetadata<String, byte[]> kafka = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .orElseThrow(() -> new IllegalStateException("chunks-in must be a Kafka channel"));
        String source = kafka.getTopic() + "-" + kafka.getPartition();
        FerryRecord record;
        try {
            record = WireFormat.decode(kafka.getKey(), kafka.getHeaders(), message.getPayload());
        } catch (InvalidRecordException e) {
            return deadLetter(message, source, kafka.getOffset(), e);
        }
        // Not the record's fault (disk full, I/O error): never dead-letter data, never skip it. The same record is
        // retried until it is staged; meanwhile nothing after it is processed or acknowledged, the connector pauses
        // the partitions once its queue is full, and readiness is down.
        while (true) {
            try {
                Assembler assembler = consumer.assemblerFor(kafka.getTopic()).orElse(null);
                if (assembler == null) {
                    // UnroutedRecords keeps unrouted topics out; only a record already queued when its route went
                    // away with no assembler left can land here. Like a full disk: hold it until a route appears.
                    throw new IOException("no route delivers topic " + kafka.getTopic());
                }
                assembler.accept(record, source, message::ack);
                consumer.storage().succeeded(StorageStatus.Area.STAGING);
                break;
            } catch (InvalidRecordException | UnsafePathException e) {
                return deadLetter(message, source, kafka.getOffset(), e);
            } catch (IOException e) {
                consumer.storage().failed(StorageStatus.Area.STAGING, "Record " + source + "@" + kafka.getOffset()
                        + " (transfer " + record.transferId() + ") could not be staged", e);
                if (!consumer.awaitRetry(StorageStatus.Area.STAGING)) {
                    break; // stopping: unacknowledged, so read again after the restart
                }
            }
        }
        consumer.deliverIfDue();
        return CompletableFuture.completedFuture(null);
    }

    private static CompletionStage<Void> deadLetter(Message<byte[]> message, String source, long offset, Exception e) {
        LOG.warnf("Record %s@%d refused, sent to the dead-letter topic: %s", source, offset, e.getMessage());
        return message.nack(e);
    }
}
