package dev.ferry.kafka;

import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.ProducerConfig;

import io.smallrye.common.annotation.Identifier;

import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;

/**
 * The outgoing channel's settings that follow from Ferry's own settings: its topic and every size limit that must agree
 * with the chunk size (the incoming channel's are the consumer's own, {@code consumer/ChunksInSettings}). SmallRye
 * merges these maps under the channel's {@code mp.messaging.*} keys (which win), and above the global {@code kafka.*}
 * keys. The fixed choices (acks, idempotence, commit and failure strategies) are in application.properties, where
 * operators look for them.
 */
@ApplicationScoped
public class ChannelSettings {

    @Inject
    FerryConfig config;

    @Produces
    @Identifier(Channels.CHUNKS_OUT)
    Map<String, Object> outgoing() {
        int maxRecord = WireFormat.maxRecordBytes(config.topics().chunkBytes());
        Map<String, Object> settings = new HashMap<>();
        settings.put("topic", config.topics().topic());
        // Each record names its route's topic; a route may have bigger chunks than ferry.chunk-size.
        settings.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                config.routesFile().isPresent() ? WireFormat.maxRecordBytes(16 << 20) : maxRecord);
        // A batch can hold a whole chunk record, so the producer's buffer pool reuses its buffers instead of
        // allocating one per record (records larger than batch.size bypass the pool).
        settings.put(ProducerConfig.BATCH_SIZE_CONFIG, maxRecord);
        // Enough for the whole send window plus one record, so a full window never blocks on buffer space.
        settings.put(ProducerConfig.BUFFER_MEMORY_CONFIG,
                Math.max(32L << 20, config.producer().sendBuffer().asLongValue() + 2L * maxRecord));
        return settings;
    }
}
