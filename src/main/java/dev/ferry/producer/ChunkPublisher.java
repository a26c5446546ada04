package dev.ferry.producer;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.utils.Utils;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

import io.smallrye.reactive.messaging.kafka.KafkaClientService;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;

import dev.ferry.chunk.ChunkCompression;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.WireFormat;
import dev.ferry.kafka.Channels;
import dev.ferry.trust.AesGcm;
import dev.ferry.trust.KeyRing;
import dev.ferry.trust.SealingKey;
import dev.ferry.trust.SigningKey;

/**
 * Sends Ferry records to the chunk topic and reports the broker's acknowledgement. The returned stage completes only
 * when the broker has the record under {@code acks=all}, and fails when the send fails or expires: nothing counts as
 * sent that was not acknowledged. Callers bound what is in flight ({@link FileSender}'s window), so the emitter's
 * buffer never grows past that.
 */
@ApplicationScoped
public class ChunkPublisher {

    /** Sealed chunk buffers kept per route: beyond that many in flight, new ones are made (and not kept). */
    private static final int SEALED_BUFFERS = 64;

    @Inject
    @Channel(Channels.CHUNKS_OUT)
    @OnOverflow(OnOverflow.Strategy.UNBOUNDED_BUFFER)
    Emitter<byte[]> emitter;

    @Inject
    KafkaClientService kafka;

    @Inject
    KeyRing keys;

    /**
     * The partition a new transfer goes to: the key's hash, as Kafka's default partitioner computes it, over the
     * partitions the topic has now. Fixed for the whole attempt, so partitions added to the topic mid-file cannot split
     * a transfer (the default partitioner would re-hash the later chunks onto another partition).
     */
    public int partitionFor(String topic, String transferId) {
        int partitions = kafka.getProducer(Channels.CHUNKS_OUT).unwrap().partitionsFor(topic).size();
        return Utils.toPositive(Utils.murmur2(transferId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /**
     * A publisher to one route's topic: the channel is one, each record names its topic in its metadata.
     *
     * @param sealingKey
     *            the route's encryption key; empty: records go unsealed
     */
    public TopicPublisher to(String topic, int chunkSize, ChunkCompression compression,
            Optional<SealingKey> sealingKey) {
        return new TopicPublisher(topic, chunkSize, compression, sealingKey.orElse(null));
    }

    public final class TopicPublisher implements FileSender.Publisher {

        private final String topic;
        private final ChunkCompression compression;
        private final SealingKey sealingKey;
        /** Sealed full chunks (chunk size plus the GCM tag), reused like the read buffers of FileSender. */
        private final ChunkBuffers sealedBuffers;

        private TopicPublisher(String topic, int chunkSize, ChunkCompression compression, SealingKey sealingKey) {
            this.topic = topic;
            this.compression = compression;
            this.sealingKey = sealingKey;
            this.sealedBuffers = new ChunkBuffers(chunkSize + AesGcm.TAG_BYTES, SEALED_BUFFERS);
        }

        public int partitionFor(String transferId) {
            return ChunkPublisher.this.partitionFor(topic, transferId);
        }

        @Override
        public CompletionStage<Void> send(FerryRecord record, int partition) {
            WireFormat.Encoded encoded = WireFormat.encode(record, compression, sealingKey == null ? null
                    : keys.sealerFor(sealingKey, topic, record.transferId(), record.attempt(), sealedBuffers::take));
            CompletionStage<Void> sent = ChunkPublisher.this.send(topic, record.transferId(), encoded, partition);
            if (encoded.sealed() != null) {
                // Kafka copied the value into its batch when the record was appended; once answered, it is free.
                sent.whenComplete((ok, failure) -> sealedBuffers.release(encoded.value()));
            }
            return sent;
        }
    }

    /**
     * The record's headers, signed with this producer's key if it has one: every record, so a consumer can check each
     * chunk before it stages a byte of it.
     */
    private Headers headersOf(WireFormat.Encoded encoded, String topic) {
        Headers headers = encoded.headers();
        SigningKey key = keys.signingKey().orElse(null);
        if (key != null) {
            // A plain chunk is signed as read (what the consumer will stage), a sealed one as sealed (so a consumer
            // can check it before it opens it).
            headers.add(WireFormat.KEY_HEADER, key.keyId().getBytes(StandardCharsets.UTF_8));
            headers.add(WireFormat.SIGNATURE_HEADER, key.sign(WireFormat.signedBytes(encoded, topic, key.keyId())));
        }
        return headers;
    }

    private CompletionStage<Void> send(String topic, String transferId, WireFormat.Encoded encoded, int partition) {
        CompletableFuture<Void> acked = new CompletableFuture<>();
        OutgoingKafkaRecordMetadata<String> metadata = OutgoingKafkaRecordMetadata.<String> builder().withTopic(topic)
                .withKey(transferId).withPartition(partition).withHeaders(headersOf(encoded, topic)).build();
        Message<byte[]> message = Message.of(encoded.value(), Metadata.of(metadata), () -> {
            acked.complete(null);
            return CompletableFuture.completedFuture(null);
        }, failure -> {
            acked.completeExceptionally(failure);
            return CompletableFuture.completedFuture(null);
        });
        try {
            emitter.send(message);
        } catch (RuntimeException e) {
            // The emitter refuses when the channel is down or cancelled; that is a failed send too.
            acked.completeExceptionally(e);
        }
        return acked;
    }
}
