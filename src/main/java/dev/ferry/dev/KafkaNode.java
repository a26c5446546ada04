package dev.ferry.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * One real Kafka node in KRaft combined mode (broker and controller), from Kafka's own classes, on loopback: the dev
 * broker, and the brokers the fault tests kill and restart in their own processes. Its data folder is formatted on
 * first start and reused after, so a restarted node comes back with its data.
 */
public final class KafkaNode {

    private KafkaNode() {
    }

    /**
     * @param voters
     *            the cluster's controllers, {@code id@host:port,...}
     * @param replicas
     *            replication factor of Kafka's internal topics (offsets), at most the number of nodes
     */
    public static KafkaRaftServer start(int nodeId, int port, int controllerPort, String voters, String clusterId,
            Path dir, int replicas) throws IOException {
        return start(nodeId, port, controllerPort, voters, clusterId, dir, replicas, Map.of());
    }

    /**
     * @param overrides
     *            broker settings set over the defaults, e.g. extra listeners with TLS or SASL (tests of Ferry's
     *            security settings)
     */
    public static KafkaRaftServer start(int nodeId, int port, int controllerPort, String voters, String clusterId,
            Path dir, int replicas, Map<String, String> overrides) throws IOException {
        Path logDir = dir.toAbsolutePath().resolve("data");
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", Integer.toString(nodeId));
        props.put("controller.quorum.voters", voters);
        props.put("listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        // Internal topics cannot have more replicas than nodes, and consumers hang waiting for them otherwise.
        props.put("offsets.topic.replication.factor", Integer.toString(replicas));
        props.put("transaction.state.log.replication.factor", Integer.toString(replicas));
        props.put("transaction.state.log.min.isr", Integer.toString(Math.min(2, replicas)));
        props.put("share.coordinator.state.topic.replication.factor", Integer.toString(replicas));
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        props.putAll(overrides);
        KafkaConfig config = new KafkaConfig(props, false);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            Files.createDirectories(logDir);
            try {
                new Formatter().setPrintStream(System.out).setClusterId(clusterId).setNodeId(nodeId)
                        .setControllerListenerName("CONTROLLER").setMetadataLogDirectory(logDir.toString())
                        .setDirectories(Set.of(logDir.toString())).setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                        .run();
            } catch (Exception e) {
                throw new IOException("cannot format " + logDir + ": " + e.getMessage(), e);
            }
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        return server;
    }
}
