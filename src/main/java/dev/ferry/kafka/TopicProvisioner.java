package dev.ferry.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FerryConfigCheck;
import dev.ferry.config.StartupFailure;
import dev.ferry.config.StartupOrder;

/**
 * Makes sure the chunk, dead-letter and receipts topics exist and can hold a chunk, before any channel starts; the one
 * place a topic is created ({@link #createIfMissing}), also for routes and streams. A Kafka producer does not fail fast
 * when no broker is reachable, and a record too large for the topic fails only when it is sent; both are turned into a
 * clear start-up error here instead.
 */
@ApplicationScoped
public class TopicProvisioner {

    private static final Logger LOG = Logger.getLogger(TopicProvisioner.class);
    private static final long WAITING_LINE_INTERVAL_NANOS = 10_000_000_000L;

    @Inject
    FerryConfig config;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private volatile int deadLetterMaxBytes = WireFormat.maxRecordBytes(WireFormat.MIN_CHUNK_BYTES);
    /**
     * The cluster's default.replication.factor, read once when a topic is first created without
     * ferry.replication-factor.
     */
    private volatile short clusterReplication;

    void provision(@Observes @Priority(StartupOrder.TOPICS) StartupEvent event) throws InterruptedException {
        int required = WireFormat.maxRecordBytes(config.topics().chunkBytes());
        Admin admin = Admin.create(KafkaClients.admin(kafkaConfig, "ferry-admin"));
        try {
            awaitCluster(admin);
            ensure(admin, config.topics().topic(), required);
            ensureDeadLetters(admin);
            ensureReceipts(admin);
        } finally {
            // A plain close() waits for pending calls, up to a minute when the broker is unreachable.
            admin.close(Duration.ofSeconds(2));
        }
    }

    /**
     * A route's topic: created like the chunk topic if missing, checked to hold the route's chunks. Called when a route
     * starts, at start-up or on a change of the routes.
     */
    public void ensureRouteTopic(String topic, int chunkSize) throws InterruptedException {
        // The producer batches records up to its batch.size, made for ferry.chunk-size: a topic whose limit is below
        // a batch makes the producer split and retry without end, so a route with smaller chunks still needs it.
        int required = Math.max(WireFormat.maxRecordBytes(chunkSize),
                WireFormat.maxRecordBytes(config.topics().chunkBytes()));
        try (Admin admin = Admin.create(KafkaClients.admin(kafkaConfig, "ferry-admin-routes"))) {
            ensure(admin, topic, required);
        }
    }

    private void awaitCluster(Admin admin) throws InterruptedException {
        long started = System.nanoTime();
        long deadline = started + config.kafkaStartupTimeout().toNanos();
        // A line every 10 s, or four over a shorter timeout.
        long interval = Math.max(1_000_000_000L,
                Math.min(WAITING_LINE_INTERVAL_NANOS, config.kafkaStartupTimeout().toNanos() / 4));
        long nextLine = started + interval;
        int tries = 0;
        Exception last = null;
        String refusal = null;
        while (System.nanoTime() < deadline) {
            try {
                tries++;
                long wait = Math.max(100, Math.min(2_000, (deadline - System.nanoTime()) / 1_000_000));
                int brokers = admin.describeCluster().nodes().get(wait, TimeUnit.MILLISECONDS).size();
                ConsoleLogFilter.kafkaReached();
                LOG.infof("Kafka reachable at %s: %d broker(s)", kafkaConfig.get("bootstrap.servers"), brokers);
                return;
            } catch (ExecutionException | TimeoutException e) {
                last = e;
                // One line per interval with the real count, instead of the client's warning every second.
                if (System.nanoTime() >= nextLine && refusal == null) {
                    nextLine = System.nanoTime() + interval;
                    LOG.warnf("Kafka not reachable at %s yet (try %d, %d of %d s; %s): %s",
                            kafkaConfig.get("bootstrap.servers"), tries, (System.nanoTime() - started) / 1_000_000_000L,
                            config.kafkaStartupTimeout().toSeconds(),
                            FerryConfigCheck.key("ferry.kafka-startup-timeout"),
                            Objects.requireNonNullElse(KafkaRefusal.rootMessage(e), "no answer"));
                }
                // Refused credentials may still be fixed on the cluster's side while we wait (a KafkaUser being
                // reconciled): keep trying, but say at once what is wrong, not "unreachable" a minute later.
                String explained = KafkaRefusal.explain(e).orElse(null);
                if (explained != null && !explained.equals(refusal)) {
                    refusal = explained;
                    LOG.errorf("%s Retrying until %s passes.", refusal,
                            FerryConfigCheck.key("ferry.kafka-startup-timeout"));
                }
                Thread.sleep(500);
            }
        }
        if (refusal != null) {
            throw new StartupFailure(refusal + " (at " + kafkaConfig.get("bootstrap.servers") + ", for "
                    + config.kafkaStartupTimeout().toSeconds() + " s)");
        }
        throw new StartupFailure("Kafka is not reachable at " + kafkaConfig.get("bootstrap.servers")
                + " (kafka.bootstrap.servers, KAFKA_BOOTSTRAP_SERVERS) within "
                + config.kafkaStartupTimeout().toSeconds() + " s ("
                + FerryConfigCheck.key("ferry.kafka-startup-timeout") + "): "
                + (last == null ? "no answer" : last.getCause() != null ? last.getCause() : last));
    }

    /**
     * The largest record the dead-letter topic takes, known once it is provisioned. Refused records that are larger
     * keep their key and headers and lose their value (consumer/DeadLetters), so a refusal never fails for size.
     */
    public int deadLetterMaxBytes() {
        return deadLetterMaxBytes;
    }

    /**
     * The dead-letter topic is created for the largest record any route may carry (the largest chunk size), whatever
     * ferry.chunk-size is: a refused record of a route with bigger chunks must fit too. An existing topic is used as it
     * is; a smaller limit only means large refused records lose their value.
     */
    private void ensureDeadLetters(Admin admin) throws InterruptedException {
        String topic = config.topics().deadLetterTopicName();
        int wanted = WireFormat.maxRecordBytes(WireFormat.MAX_CHUNK_BYTES);
        Optional<Integer> limit = createIfMissing(admin, chunkTopic(topic, wanted), "dead letters")
                .map(TopicProvisioner::maxMessageBytes);
        if (limit.isEmpty()) {
            deadLetterMaxBytes = wanted;
            return;
        }
        deadLetterMaxBytes = limit.get();
        if (limit.get() < wanted) {
            LOG.infof("Topic %s ready (dead letters): max.message.bytes %d; refused records larger than that are kept "
                    + "without their value", topic, limit.get());
        } else {
            LOG.infof("Topic %s ready (dead letters): max.message.bytes %d", topic, limit.get());
        }
    }

    private void ensure(Admin admin, String topic, int required) throws InterruptedException {
        Optional<Integer> limit = createIfMissing(admin, chunkTopic(topic, required), "chunks")
                .map(TopicProvisioner::maxMessageBytes);
        if (limit.isEmpty()) {
            return;
        }
        if (limit.get() < required) {
            throw new IllegalStateException("Topic " + topic + " has max.message.bytes " + limit.get()
                    + ", too small for chunks of " + (required - WireFormat.RECORD_HEADROOM) + " bytes ("
                    + FerryConfigCheck.key("ferry.chunk-size") + " or the route's chunk-size): it needs at least "
                    + required + ". Raise the topic's max.message.bytes or lower the chunk size.");
        }
        LOG.infof("Topic %s ready: max.message.bytes %d >= %d", topic, limit.get(), required);
    }

    /** A chunk or dead-letter topic as Ferry creates it: ferry.partitions, records up to {@code required} bytes. */
    private NewTopic chunkTopic(String topic, int required) {
        return newTopic(topic, config.topics().partitions(),
                Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(required)));
    }

    /**
     * A topic with ferry.replication-factor (or, unset, the cluster's default) and {@code configs}: how every topic
     * Ferry creates is made. {@code min.insync.replicas} is added when it is created, once the replication factor is
     * known ({@link #withReplication}).
     */
    public NewTopic newTopic(String topic, int partitions, Map<String, String> configs) {
        return new NewTopic(topic, Optional.of(partitions), config.topics().replicationFactor())
                .configs(new HashMap<>(configs));
    }

    /**
     * {@code topic} as it is created: its replication factor (ferry.replication-factor, or the cluster's
     * {@code default.replication.factor}) and {@code min.insync.replicas} (ferry.min-insync-replicas, or 2 with 3 or
     * more replicas, else 1).
     */
    private NewTopic withReplication(Admin admin, NewTopic topic) throws InterruptedException {
        short replicas = topic.replicationFactor() > 0 ? topic.replicationFactor() : clusterReplication(admin);
        int minInsync = config.topics().minInsyncReplicas().orElse(replicas >= 3 ? 2 : 1);
        Map<String, String> configs = new HashMap<>(topic.configs());
        configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(minInsync));
        return new NewTopic(topic.name(), Optional.of(topic.numPartitions()), Optional.of(replicas)).configs(configs);
    }

    /** The cluster's {@code default.replication.factor}, as one of its brokers reports it. */
    private short clusterReplication(Admin admin) throws InterruptedException {
        if (clusterReplication > 0) {
            return clusterReplication;
        }
        try {
            String broker = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).iterator().next().idString();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.BROKER, broker);
            Config brokerConfig = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS)
                    .get(resource);
            clusterReplication = Short.parseShort(brokerConfig.get("default.replication.factor").value());
            LOG.infof("Topics get the cluster's default replication factor %d (set %s to choose another)",
                    clusterReplication, FerryConfigCheck.key("ferry.replication-factor"));
            return clusterReplication;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            throw new StartupFailure("Cannot read the cluster's default.replication.factor (" + e + "): set "
                    + FerryConfigCheck.key("ferry.replication-factor"));
        }
    }

    /**
     * Makes sure each topic exists: created as given if missing, or with {@code ferry.create-topics=false} a start-up
     * error saying how to create it. Existing topics are left as the operator made them.
     *
     * @param purpose
     *            what the topics are for, in messages ("streams")
     */
    public void ensureExist(String clientName, String purpose, List<NewTopic> topics) throws InterruptedException {
        try (Admin admin = Admin.create(KafkaClients.admin(kafkaConfig, clientName))) {
            for (NewTopic topic : topics) {
                if (createIfMissing(admin, topic, purpose).isPresent()) {
                    LOG.infof("Topic %s ready (%s)", topic.name(), purpose);
                }
            }
        }
    }

    /**
     * The one place a topic is created: if {@code topic} exists, its configuration; else it is created (or, with
     * {@code ferry.create-topics=false}, start-up stops saying how to create it) and the result is empty. A topic
     * created concurrently (by the other role, say) counts as existing.
     */
    private Optional<Config> createIfMissing(Admin admin, NewTopic topic, String purpose) throws InterruptedException {
        Optional<Config> existing = describe(admin, topic.name());
        if (existing.isPresent()) {
            return existing;
        }
        if (!config.topics().createTopics()) {
            throw new StartupFailure("Topic " + topic.name() + " (" + purpose + ") does not exist and "
                    + FerryConfigCheck.key("ferry.create-topics") + " is false: create it with " + topic.numPartitions()
                    + " partitions and " + topic.configs());
        }
        topic = withReplication(admin, topic);
        try {
            admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            LOG.infof("Created topic %s (%s): %d partitions, replication factor %d, %s", topic.name(), purpose,
                    topic.numPartitions(), topic.replicationFactor(), topic.configs());
            return Optional.empty();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return describe(admin, topic.name());
            }
            throw new StartupFailure("Cannot create topic " + topic.name() + " (" + purpose + ", "
                    + topic.numPartitions() + " partitions, replication factor " + topic.replicationFactor()
                    + "; see ferry.partitions and " + FerryConfigCheck.key("ferry.replication-factor") + "): "
                    + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Creating topic " + topic.name() + " timed out", e);
        }
    }

    /**
     * The receipts topic: compacted, one small record per transfer, one partition (receipts are few and small, and
     * every reader reads all of it). A receipt must outlive the chunks it covers, which may be read again until they
     * age out, so it gets the chunk topic's retention on top of compaction.
     */
    private void ensureReceipts(Admin admin) throws InterruptedException {
        String topic = config.topics().receiptsTopicName();
        // A receipt must outlive the chunks it covers: the chunk topic's retention, if it has one.
        String retention = describe(admin, config.topics().topic())
                .map(c -> c.get(TopicConfig.RETENTION_MS_CONFIG).value()).orElse("-1");
        Map<String, String> configs = new HashMap<>();
        if (retention.equals("-1")) {
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        } else {
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG,
                    TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE);
            configs.put(TopicConfig.RETENTION_MS_CONFIG, retention);
        }
        Optional<Config> existing = createIfMissing(admin, newTopic(topic, 1, configs), "receipts");
        if (existing.isPresent()) {
            String policy = existing.get().get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                LOG.warnf("Receipts topic %s has cleanup.policy=%s: without compaction, receipts of old transfers "
                        + "age out by retention alone", topic, policy);
            }
            LOG.infof("Topic %s ready (receipts)", topic);
        }
    }

    private static Optional<Config> describe(Admin admin, String topic) throws InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            return Optional.of(admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw new IllegalStateException("Cannot describe topic " + topic + ": " + e.getCause().getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Describing topic " + topic + " timed out", e);
        }
    }

    private static int maxMessageBytes(Config topic) {
        return Integer.parseInt(topic.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value());
    }
}
