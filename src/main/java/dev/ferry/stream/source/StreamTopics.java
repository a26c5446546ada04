package dev.ferry.stream.source;

import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.TopicConfig;

import dev.ferry.config.FerryConfig;
import dev.ferry.kafka.TopicProvisioner;
import dev.ferry.stream.FrameFormat;

/**
 * The streams' topics, made by the shared {@link TopicProvisioner}: the frames topic (deleted by age: how far back a
 * viewer can replay) and the announcements topic (compacted: the latest word on each stream). Created when missing, or
 * with {@code ferry.create-topics=false} checked to exist; existing topics are left as the operator made them.
 */
final class StreamTopics {

    private StreamTopics() {
    }

    static void ensure(TopicProvisioner topics, FerryConfig config) throws InterruptedException {
        FerryConfig.Streams streams = config.streams();
        topics.ensureExist("ferry-admin-streams", "streams, ferry.streams.inbox", List.of(
                topics.newTopic(streams.topic(), streams.partitions(),
                        Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                Integer.toString(FrameFormat.MAX_FRAME_BYTES + 1024), TopicConfig.RETENTION_MS_CONFIG,
                                Long.toString(streams.retention().toMillis()))),
                topics.newTopic(FrameFormat.announcementsTopic(streams.topic()), 1,
                        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));
    }
}
