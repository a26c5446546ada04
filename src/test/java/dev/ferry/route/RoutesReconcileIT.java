package dev.ferry.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ferry.testing.ConfigMapVolume;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestFiles;

/**
 * Routes reconciled live in the packaged app, producer and consumer as separate processes, each reading a routes file
 * from a folder updated the way the kubelet updates a ConfigMap volume: a new route starts and carries files, an
 * invalid edit is rejected while the last good routes keep working, a removed route stops and resumes where it was when
 * it comes back, and a topic the consumer stops routing is held in Kafka and delivered once routed again.
 */
class RoutesReconcileIT {

    static final Path LOGS = Path.of("target", "e2e-logs", "routes");

    static KafkaBroker broker;
    static Path root;

    @BeforeAll
    static void start() throws IOException {
        broker = KafkaBroker.start();
        root = Files.createTempDirectory("ferry-routes");
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    String route(String name, String extra) {
        return "  - name: " + name + "\n    inbox: " + root.resolve("in/" + name) + "\n    outbox: "
                + root.resolve("out/" + name) + "\n" + extra;
    }

    String routes(String... routes) {
        return "routes:\n" + String.join("", routes);
    }

    @Test
    void routesStartStopAndRejectBadEditsWithoutARestart() throws Exception {
        String alpha = route("alpha", "");
        String beta = route("beta", "    chunk-size: 64K\n    source-policy: delete\n");
        ConfigMapVolume producerRoutes = new ConfigMapVolume(root.resolve("producer-routes"), "routes.yaml",
                routes(alpha));
        ConfigMapVolume consumerRoutes = new ConfigMapVolume(root.resolve("consumer-routes"), "routes.yaml",
                routes(alpha));
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "2",
                "FERRY_SETTLE_TIME", "300ms", "FERRY_RESCAN_INTERVAL", "1s");
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_ROUTES_FILE", producerRoutes.file().toString(), "FERRY_STATE_DIR",
                root.resolve("p-state").toString()));
        Map<String, String> consumerEnv = new HashMap<>(common);
        consumerEnv.putAll(Map.of("FERRY_ROUTES_FILE", consumerRoutes.file().toString(), "FERRY_STATE_DIR",
                root.resolve("c-state").toString(), "FERRY_GROUP_ID", "ferry-routes"));

        try (FerryProcess producer = FerryProcess.start("producer", producerEnv, LOGS.resolve("producer.log"));
                FerryProcess consumer = FerryProcess.start("consumer", consumerEnv, LOGS.resolve("consumer.log"))) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
            assertThat(consumer.body("/q/health/ready")).contains("ferry-routes")
                    .contains("alpha: topic " + "ferry-chunks.alpha -> " + root.resolve("out/alpha"));

            moves("alpha", "a1.bin", 3 << 20, 1);

            // A new route, with its own chunk size and source policy, starts in both processes.
            producerRoutes.update(routes(alpha, beta));
            consumerRoutes.update(routes(alpha, beta));
            Path b1 = moves("beta", "b1.bin", 1 << 20, 2);
            await("beta deletes its sources after delivery").atMost(Duration.ofSeconds(30))
                    .until(() -> !Files.exists(root.resolve("in/beta/b1.bin")));
            assertThat(b1).exists();
            assertThat(ProcessLog.text(producer.log())).contains("Route beta: watching").contains("chunks of 65536");

            // An invalid edit is rejected with every problem named; the last good routes keep running.
            String bad = routes(alpha, beta.replace("chunk-size: 64K", "chunk-size: 64M"),
                    "  - name: gamma\n    inbx: /tmp/x\n");
            producerRoutes.update(bad);
            consumerRoutes.update(bad);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> ProcessLog.text(producer.log()).contains("Rejected the edit of the routes file")
                            && ProcessLog.text(consumer.log()).contains("Rejected the edit of the routes file"));
            assertThat(ProcessLog.text(producer.log()))
                    .contains("routes[1] (beta): chunk-size is \"64M\"; " + "allowed: 1K to 16M")
                    .contains("routes[2] (gamma): unknown key \"inbx\"");
            assertThat(producer.body("/q/health/ready")).contains("rejected-edit");
            assertThat(producer.get("/q/health/ready")).isEqualTo(200);
            moves("alpha", "a2.bin", 1 << 20, 3);
            moves("beta", "b2.bin", 1 << 20, 4);

            // Removed on both sides: alpha's inbox is no longer watched...
            producerRoutes.update(routes(beta));
            consumerRoutes.update(routes(beta));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> ProcessLog.text(producer.log()).contains("Route alpha removed: stopped"));
            TestFiles.randomAtomically(root.resolve("in/alpha/a3.bin"), 1 << 20, 5);
            moves("beta", "b3.bin", 1 << 20, 6); // later than a3, through the same producer: a barrier
            assertThat(root.resolve("out/alpha/a3.bin")).as("a removed route sends nothing").doesNotExist();

            // ...and when it comes back, what waited in its inbox moves.
            producerRoutes.update(routes(alpha, beta));
            consumerRoutes.update(routes(alpha, beta));
            awaitDelivered("alpha", "a3.bin", TestFiles.sha256(root.resolve("in/alpha/a3.bin")));

            // The consumer alone stops routing alpha: alpha's files wait in Kafka, then arrive once routed again.
            consumerRoutes.update(routes(beta));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> ProcessLog.text(consumer.log()).contains("Route alpha (topic ferry-chunks.alpha"));
            Path a4 = TestFiles.randomAtomically(root.resolve("in/alpha/a4.bin"), 2 << 20, 7);
            String a4sha = TestFiles.sha256(a4);
            moves("beta", "b4.bin", 1 << 20, 8);
            await("the producer sent a4").atMost(Duration.ofSeconds(30))
                    .until(() -> ProcessLog.text(producer.log()).contains("(a4.bin): sent"));
            moves("beta", "b5.bin", 1 << 20, 9); // the consumer has handled records after a4's
            assertThat(root.resolve("out/alpha/a4.bin")).as("no route on the consumer: held in Kafka").doesNotExist();
            consumerRoutes.update(routes(alpha, beta));
            awaitDelivered("alpha", "a4.bin", a4sha);
            assertThat(ProcessLog.text(consumer.log())).contains("Topic ferry-chunks.alpha is routed now");
        }
    }

    /** Drops a file into a route's inbox and waits until it arrives, byte for byte, in its outbox. */
    private Path moves(String route, String name, long size, long seed) throws Exception {
        Path file = TestFiles.randomAtomically(root.resolve("in/" + route + "/" + name), size, seed);
        String sha = TestFiles.sha256(file);
        return awaitDelivered(route, name, sha);
    }

    private Path awaitDelivered(String route, String name, String sha) {
        Path delivered = root.resolve("out/" + route + "/" + name);
        await(route + "/" + name).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> Files.exists(delivered) && TestFiles.sha256(delivered).equals(sha));
        return delivered;
    }
}
