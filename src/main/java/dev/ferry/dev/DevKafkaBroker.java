package dev.ferry.dev;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.apache.kafka.common.Uuid;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.arc.profile.IfBuildProfile;
import io.quarkus.runtime.Application;
import io.quarkus.runtime.StartupEvent;

import dev.ferry.config.StartupOrder;

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
    private static final long APP_STOP_WAIT_MILLIS = 20_000;

    @ConfigProperty(name = "ferry.dev.kafka-port", defaultValue = "9092")
    int port;

    @ConfigProperty(name = "ferry.dev.kafka-dir", defaultValue = "target/ferry-dev-kafka")
    Path dir;

    void start(@Observes @Priority(StartupOrder.DEV_BROKER) StartupEvent event) throws Exception {
        if (listening(port)) {
            LOG.infof("Dev Kafka broker already running on localhost:%d", port);
            return;
        }
        long started = System.nanoTime();
        int controllerPort = port + 1;
        KafkaRaftServer server = KafkaNode.start(1, port, controllerPort, "1@localhost:" + controllerPort,
                Uuid.randomUuid().toString(), dir, 1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            awaitApplicationStopped();
            server.shutdown();
            server.awaitShutdown();
        }, "ferry-dev-kafka-shutdown"));
        LOG.infof("Dev Kafka broker started on localhost:%d in %d ms, data in %s", port,
                (System.nanoTime() - started) / 1_000_000, dir.toAbsolutePath());
    }

    /**
     * JVM shutdown hooks run all at once: without this wait the broker went down while Quarkus's own hook was still
     * closing Ferry's Kafka clients, and each of them logged its lost connection. Bounded, so that a stop that hangs
     * cannot keep the JVM alive.
     */
    private static void awaitApplicationStopped() {
        Application app = Application.currentApplication();
        if (app == null) {
            return;
        }
        Thread waiter = new Thread(app::awaitShutdown, "ferry-dev-kafka-awaits-app");
        waiter.setDaemon(true);
        waiter.start();
        try {
            waiter.join(APP_STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
