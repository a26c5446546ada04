package dev.ferry.stream.source;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jboss.logging.Logger;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.FerryConfigCheck;
import dev.ferry.kafka.KafkaClients;
import dev.ferry.stream.FrameFormat;

/**
 * Creates the frames topic (deleted by age: how far back a viewer can replay) and the announcements topic (compacted:
 * the latest word on each stream) when they are missing, or with {@code ferry.create-topics=false} checks they exist.
 * Existing topics are left as the operator made them.
 */
final class StreamTopics {

    private static final Logger LOG = Logger.getLogger(StreamTopics.class);

    private final boolean createTopics;

    private StreamTopics(boolean createTopics) {
        this.createTopics = createTopics;
    }

    static void ensure(Map<String, Object> kafka, FerryConfig config) throws InterruptedException {
        new StreamTopics(config.topics().createTopics()).ensureAll(kafka, config);
    }

    private void ensureAll(Map<String, Object> kafka, FerryConfig config) throws InterruptedException {
        FerryConfig.Streams streams = config.streams();
        String minIsr = Integer.toString(config.topics().minInsyncReplicas());
        try (Admin admin = Admin.create(KafkaClients.admin(kafka, "ferry-admin-streams"))) {
            create(admin,
                    new NewTopic(streams.topic(), streams.partitions(), config.topics().replicationFactor())
                            .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                                    Integer.toString(FrameFormat.MAX_FRAME_BYTES + 1024),
                                    TopicConfig.RETENTION_MS_CONFIG, Long.toString(streams.retention().toMillis()),
                                    TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minIsr)));
            create(admin,
                    new NewTopic(FrameFormat.announcementsTopic(streams.topic()), 1,
                            config.topics().replicationFactor()).configs(
                                    Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                                            TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minIsr)));
        }
    }

    private void create(Admin admin, NewTopic topic) throws InterruptedException {
        if (!createTopics) {
            try {
                admin.describeTopics(List.of(topic.name())).allTopicNames().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("Topic " + topic.name() + " is needed for streams (ferry.streams.inbox)"
                        + " but cannot be found (" + e.getCause() + ") and "
                        + FerryConfigCheck.key("ferry.create-topics") + " is false: create it with " + topic.configs(),
                        e);
            }
        }
        try {
            admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            LOG.infof("Created topic %s: %d partitions, %s", topic.name(), topic.numPartitions(), topic.configs());
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException(
                        "Cannot create topic " + topic.name() + ": " + e.getCause().getMessage(), e);
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Creating topic " + topic.name() + " timed out", e);
        }
    }
}
