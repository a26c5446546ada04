package dev.ferry.dev;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.runtime.StartupEvent;

import dev.ferry.kafka.StartupOrder;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * A real, single-node Kafka broker (KRaft, Kafka's own classes) for {@code ./mvnw quarkus:dev}, since Dev Services need
 * a container engine. The broker jars are a {@code provided} dependency: on the dev-mode class path, not in the
 * packaged application, and this bean only exists in the dev build.
 * <p>
 * The broker outlives live reloads: a reload restarts the application, not the JVM, and a broker restarted on every
 * reload would make consumers wait out a session timeout. So it is started once (a listening port means it is already
 * up) and stopped by a JVM shutdown hook.
 */
@ApplicationScoped
@IfBuildProfile("dev")
public class DevKafkaBroker {

    private static final Logger LOG = Logger.getLogger(DevKafkaBroker.class);

    @ConfigProperty(name = "ferry.dev.kafka-port", defaultValue = "9092")
    int port;

    @ConfigProperty(name = "ferry.dev.kafka-dir", defaultValue = "target/ferry-dev-kafka")
    Path dir;

    void start(@Observes @Priority(StartupOrder.DEV_BROKER) StartupEvent event) throws Exception {
        if (listening(port)) {
            LOG.infof("Dev Kafka broker already running on localhost:%d", port);
            return;
        }
        int controllerPort = port + 1;
        Path logDir = dir.toAbsolutePath().resolve("data");
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        props.put("listeners", "PLAINTEXT://localhost:" + port + ",CONTROLLER://localhost:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://localhost:" + port);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        // One node: internal topics cannot have more replicas, and consumers hang waiting for them otherwise.
        props.put("offsets.topic.replication.factor", "1");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        KafkaConfig config = new KafkaConfig(props, false);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            Files.createDirectories(logDir);
            new Formatter().setPrintStream(System.out).setClusterId(Uuid.randomUuid().toString()).setNodeId(1)
                    .setControllerListenerName("CONTROLLER").setMetadataLogDirectory(logDir.toString())
                    .setDirectories(Set.of(logDir.toString())).setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            server.awaitShutdown();
        }, "ferry-dev-kafka-shutdown"));
        LOG.infof("Dev Kafka broker started on localhost:%d, data in %s", port, logDir);
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("localhost", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
