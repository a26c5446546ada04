package dev.ferry.consumer;

import java.util.HashMap;
import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerConfig;

import io.smallrye.common.annotation.Identifier;

import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.kafka.Channels;
import dev.ferry.route.RouteTable;

/**
 * The incoming channel's settings that follow from Ferry's own settings: the topics (or pattern), the consumer group,
 * the dead-letter topic, the rebalance listener and every size limit that must agree with the chunk size. SmallRye
 * merges this map under the channel's {@code mp.messaging.*} keys (which win), and above the global {@code kafka.*}
 * keys; the fixed choices (commit and failure strategies) are in application.properties, where operators look.
 */
@ApplicationScoped
public class ChunksInSettings {

    /** Records a consumer may hold per poll: with chunks of up to 16 MiB, a few are plenty and memory stays small. */
    static final int MAX_POLL_RECORDS = 16;

    @Inject
    FerryConfig config;

    @Inject
    RouteTable routes;

    @Produces
    @Identifier(Channels.CHUNKS_IN)
    Map<String, Object> incoming() {
        int maxRecord = WireFormat.maxRecordBytes(config.topics().chunkBytes());
        Map<String, Object> settings = new HashMap<>();
        if (config.routesFile().isPresent()) {
            // Routes come and go while the channel runs: subscribe to every topic a route may name, find new ones
            // within seconds, and keep records of topics without a route out of the channel (UnroutedRecords).
            settings.put("pattern", true);
            settings.put("topic", routes.topicPattern().pattern());
            settings.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
            settings.put(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG, UnroutedRecords.class.getName());
        } else {
            settings.put("topic", config.topics().topic());
        }
        config.consumer().groupId().ifPresent(group -> settings.put(ConsumerConfig.GROUP_ID_CONFIG, group));
        settings.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.instance());
        settings.put("dead-letter-queue.topic", config.topics().deadLetterTopicName());
        settings.put("consumer-rebalance-listener.name", RebalanceTracker.NAME);
        // Bound what a fetch brings in: a few records per partition, a few partitions per fetch. The connector queues
        // at most max.poll.records * max-queue-size-factor records before it pauses the partitions.
        settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        settings.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2 * maxRecord);
        settings.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Math.max(8 << 20, 4 * maxRecord));
        return settings;
    }
}
