package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * A real Kafka cluster of one or more KRaft nodes, each in its own JVM ({@link KafkaNodeMain}) on loopback, for fault
 * tests that kill a broker with SIGKILL and start it again on the same data and ports. The in-process
 * {@link KafkaBroker} is lighter and fine for tests that never kill the broker.
 */
public final class KafkaCluster implements AutoCloseable {

    private final Path dir;
    private final int[] ports;
    private final int[] controllerPorts;
    private final String voters;
    private final String clusterId = Uuid.randomUuid().toString();
    private final Process[] nodes;

    private KafkaCluster(Path dir, int size) {
        this.dir = dir;
        this.ports = new int[size];
        this.controllerPorts = new int[size];
        for (int i = 0; i < size; i++) {
            ports[i] = FreePorts.next();
            controllerPorts[i] = FreePorts.next();
        }
        this.voters = IntStream.range(0, size).mapToObj(i -> (i + 1) + "@localhost:" + controllerPorts[i])
                .collect(Collectors.joining(","));
        this.nodes = new Process[size];
    }

    /** Starts {@code size} nodes and waits until all of them are brokers of one cluster. */
    public static KafkaCluster start(Path dir, int size) {
        KafkaCluster cluster = new KafkaCluster(dir, size);
        for (int i = 0; i < size; i++) {
            cluster.launch(i);
        }
        cluster.awaitBrokers(size, Duration.ofSeconds(90));
        return cluster;
    }

    public String bootstrapServers() {
        return IntStream.range(0, ports.length).mapToObj(i -> "localhost:" + ports[i]).collect(Collectors.joining(","));
    }

    public int size() {
        return nodes.length;
    }

    /** SIGKILL: no clean shutdown, nothing flushed beyond what the node had synced. */
    public void kill(int node) throws InterruptedException {
        Process p = nodes[node];
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Starts a killed node again on its data and ports, and waits until it serves. */
    public void restart(int node) {
        launch(node);
        awaitListening(ports[node], Duration.ofSeconds(90));
    }

    public boolean isAlive(int node) {
        return nodes[node] != null && nodes[node].isAlive();
    }

    private void launch(int i) {
        int replicas = Math.min(3, nodes.length);
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp",
                        System.getProperty("java.class.path"), KafkaNodeMain.class.getName(), Integer.toString(i + 1),
                        Integer.toString(ports[i]), Integer.toString(controllerPorts[i]), voters, clusterId,
                        dir.resolve("node-" + (i + 1)).toString(), Integer.toString(replicas)));
        try {
            Files.createDirectories(dir);
            nodes[i] = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + (i + 1) + ".log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitBrokers(int count, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers()))) {
            while (System.nanoTime() < deadline) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() == count) {
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                sleepBriefly();
            }
        }
        throw new IllegalStateException(
                "Kafka cluster of " + count + " nodes not up within " + limit + "; logs in " + dir);
    }

    private static void awaitListening(int port, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("localhost", port), 200);
                return;
            } catch (IOException e) {
                sleepBriefly();
            }
        }
        throw new IllegalStateException("Kafka node on port " + port + " not listening within " + limit);
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(200); // polling a port: there is no event to wait for
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : nodes) {
            if (p != null && p.isAlive()) {
                p.destroy();
            }
        }
        for (Process p : nodes) {
            if (p != null && !p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }
}
