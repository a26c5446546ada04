package dev.ferry.testing;

import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka cluster (KRaft, Kafka's own broker classes) inside the test JVM, on loopback with free ports. There is
 * no container engine here, so this replaces Dev Services and Testcontainers; nothing is mocked.
 */
public final class KafkaBroker implements AutoCloseable {

    private final KafkaClusterTestKit cluster;

    private KafkaBroker(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /** A single combined broker and controller. */
    public static KafkaBroker start() {
        return start(1);
    }

    public static KafkaBroker start(int brokers) {
        KafkaLogging.quiet();
        try {
            String rf = Integer.toString(Math.min(3, brokers));
            KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true)
                    .setNumBrokerNodes(brokers).setNumControllerNodes(brokers).build())
                            // Internal topics must fit the cluster, or group coordination never becomes available.
                            .setConfigProp("offsets.topic.replication.factor", rf)
                            .setConfigProp("offsets.topic.num.partitions", "4")
                            .setConfigProp("transaction.state.log.replication.factor", rf)
                            .setConfigProp("transaction.state.log.min.isr", "1")
                            .setConfigProp("share.coordinator.state.topic.replication.factor", rf)
                            .setConfigProp("group.initial.rebalance.delay.ms", "0")
                            .setConfigProp("auto.create.topics.enable", "false").build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            return new KafkaBroker(cluster);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start the test Kafka cluster", e);
        }
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    /** The folders the brokers keep their log segments in: what an operator (or a thief) of the disks can read. */
    public List<Path> logDirs() {
        return cluster.nodes().brokerNodes().values().stream().flatMap(n -> n.logDataDirectories().stream())
                .map(Path::of).toList();
    }

    @Override
    public void close() {
        try {
            cluster.close();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot stop the test Kafka cluster", e);
        }
    }
}
