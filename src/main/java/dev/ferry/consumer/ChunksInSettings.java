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

    /** Records a consumer may hold per poll at most; fewer for large chunks ({@link #maxPollRecords}). */
    static final int MAX_POLL_RECORDS = 16;

    /**
     * Record bytes one poll may hand over. The connector queues up to two polls ({@code max-queue-size-factor}) before
     * it pauses the partitions, and the lanes that stage records hold as much again ({@link PartitionLanes}), so with
     * the fetch buffer the heap holds at most about four times this, whatever the chunk size: 16 records of 4 MiB
     * chunks once filled a 256 MiB heap (full GCs, a quarter of the speed).
     */
    static final int POLL_BYTES = 16 << 20;

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
        settings.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords(maxRecord));
        settings.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2 * maxRecord);
        settings.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, fetchMaxBytes(maxRecord));
        return settings;
    }

    /** Records per poll for records of up to {@code maxRecord} bytes: within {@link #POLL_BYTES}, at least one. */
    static int maxPollRecords(int maxRecord) {
        return Math.max(1, Math.min(MAX_POLL_RECORDS, POLL_BYTES / maxRecord));
    }

    /** Bytes one fetch may bring: at least one record of the largest size, and at most {@link #POLL_BYTES}. */
    static int fetchMaxBytes(int maxRecord) {
        return Math.max(POLL_BYTES / 2, maxRecord);
    }
}
