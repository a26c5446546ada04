package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.ProcessLog;

/** The packaged app refuses to start on bad settings, with a message naming the key and the reason. */
class StartupErrorsIT {

    static KafkaBroker broker;
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        broker = KafkaBroker.start();
        root = Files.createTempDirectory("ferry-startup");
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aConsumerWithoutGroupIdStopsNamingTheKey() throws Exception {
        String log = runUntilExit("consumer", Map.of("FERRY_OUTBOX", root.resolve("out").toString(), "FERRY_STATE_DIR",
                root.resolve("s1").toString()), "no-group");
        assertThat(log).contains("Ferry cannot start, its configuration is invalid")
                .contains("ferry.group-id (FERRY_GROUP_ID) is required");
        assertTheReasonIsTheMessageOnce("no-group", "ferry.group-id (FERRY_GROUP_ID) is required");
    }

    /**
     * The reason is the ERROR line's own message (what a log collector shows), once, without a stack trace, and not
     * hidden in the stack of a generic "Failed to start application".
     */
    static void assertTheReasonIsTheMessageOnce(String name, String reason) {
        List<JsonNode> records = ProcessLog.records(Path.of("target", "e2e-logs", "startup-" + name + ".log"));
        List<JsonNode> errors = new ArrayList<>();
        for (JsonNode json : records) {
            if (json.path("level").asText().equals("ERROR") && json.path("message").asText().contains(reason)) {
                errors.add(json);
            }
        }
        assertThat(errors).as("ERROR lines whose message is the reason").hasSize(1);
        assertThat(errors.get(0).has("stackTrace")).as("no stack trace").isFalse();
        assertThat(records).noneMatch(r -> r.path("message").asText().startsWith("Failed to start application"));
    }

    @Test
    void valuesThatCannotBeConvertedStopNamingKeyEnvVarValueAndWhatIsAllowed() throws Exception {
        String log = runUntilExit("producer",
                Map.of("FERRY_INBOX", root.resolve("in").toString(), "FERRY_STATE_DIR", root.resolve("s2").toString(),
                        "FERRY_SOURCE_POLICY", "shred", "FERRY_CHUNK_SIZE", "512KiB", "FERRY_SETTLE_TIME", "soon"),
                "bad-policy");
        List<String> lines = log.lines().toList();
        int first = lines.indexOf("Ferry cannot start, its configuration is invalid:");
        assertThat(first).as("the header, as for every other setting: " + log).isNotNegative();
        assertThat(lines.subList(first + 1, lines.size())).containsExactlyInAnyOrder(
                "  - ferry.source-policy (FERRY_SOURCE_POLICY) is shred; allowed: one of move, keep, delete",
                "  - ferry.chunk-size (FERRY_CHUNK_SIZE) is 512KiB; allowed: a size in bytes, a number with an optional "
                        + "K, M, G or T (1024-based): 512K, 16M, 2G",
                "  - ferry.settle-time (FERRY_SETTLE_TIME) is soon; allowed: a duration such as 500ms, 30s, 5m, 2h or 1d");
        assertThat(log).doesNotContain("SRCFG");
    }

    @Test
    void aNumberOutOfRangeStopsNamingKeyEnvVarValueAndWhatIsAllowed() throws Exception {
        String log = runUntilExit("producer", Map.of("FERRY_INBOX", root.resolve("in-range").toString(),
                "FERRY_STATE_DIR", root.resolve("s-range").toString(), "FERRY_FILES_IN_FLIGHT", "100"), "range");
        assertThat(log).contains("ferry.files-in-flight (FERRY_FILES_IN_FLIGHT) is 100; allowed: 1 to 64");
    }

    @Test
    void accessRequiredWithNobodyToLetInStopsStartUpAndAWeakUsersFileToo() throws Exception {
        String log = runUntilExit("producer", Map.of("FERRY_INBOX", root.resolve("in-auth").toString(),
                "FERRY_STATE_DIR", root.resolve("s-auth").toString(), "MP_JWT_VERIFY_PUBLICKEY_LOCATION", ""),
                "no-auth");
        assertThat(log).contains("ferry.http.auth (FERRY_HTTP_AUTH) is required but nobody could log in")
                .contains("ferry.http.users-file (FERRY_HTTP_USERS_FILE)")
                .contains("quarkus.oidc.tenant-enabled (QUARKUS_OIDC_TENANT_ENABLED)=true");
        Path users = root.resolve("users.txt");
        Files.writeString(users, "alice:5f4dcc3b5aa765d61d8327deb882cf99:viewer\n");
        String weak = runUntilExit("producer", Map.of("FERRY_INBOX", root.resolve("in-auth").toString(),
                "FERRY_STATE_DIR", root.resolve("s-auth2").toString(), "FERRY_HTTP_USERS_FILE", users.toString()),
                "md5-users");
        assertThat(weak).contains("ferry.http.users-file (FERRY_HTTP_USERS_FILE) is " + users)
                .contains("line 1 (alice): the hash is not bcrypt").doesNotContain("5f4dcc3b");
    }

    @Test
    void anInvalidRoutesFileStopsStartUpListingEveryProblem() throws Exception {
        Path routes = root.resolve("bad-routes.yaml");
        Files.writeString(routes, "routes:\n  - name: a\n    inbox: relative\n    chunk-size: 1G\n");
        String log = runUntilExit("producer",
                Map.of("FERRY_ROUTES_FILE", routes.toString(), "FERRY_STATE_DIR", root.resolve("s-routes").toString()),
                "bad-routes");
        assertThat(log).contains("routes[0] (a): inbox is \"relative\"; allowed: an absolute path")
                .contains("routes[0] (a): chunk-size is \"1G\"; allowed: 1K to 16M");
    }

    @Test
    void aRouteWhoseTopicCannotHoldItsChunksStopsStartUpNamingTheRoute() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List
                    .of(new NewTopic("small-route-topic", 1, (short) 1).configs(Map.of("max.message.bytes", "100000"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        Path routes = root.resolve("small-routes.yaml");
        Files.writeString(routes,
                "routes:\n  - name: tiny\n    inbox: " + root.resolve("in-tiny") + "\n    topic: small-route-topic\n");
        String log = runUntilExit("producer",
                Map.of("FERRY_ROUTES_FILE", routes.toString(), "FERRY_STATE_DIR", root.resolve("s-tiny").toString()),
                "small-route");
        assertThat(log).contains("Route tiny cannot start: Topic small-route-topic has max.message.bytes 100000");
    }

    @Test
    void aTopicWhoseRecordLimitIsTooSmallForTheChunkSizeStopsStartUp() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(
                    List.of(new NewTopic("small-topic", 1, (short) 1).configs(Map.of("max.message.bytes", "100000"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        String log = runUntilExit("producer", Map.of("FERRY_INBOX", root.resolve("in").toString(), "FERRY_STATE_DIR",
                root.resolve("s3").toString(), "FERRY_TOPIC", "small-topic"), "small-topic");
        assertThat(log).contains("Topic small-topic has max.message.bytes 100000, too small for chunks of 524288 bytes")
                .contains("needs at least 532480");
    }

    /**
     * Without ferry.replication-factor, topics get the cluster's own default (as Kafka's tools do), so a single-broker
     * cluster needs no setting; a replication factor the cluster cannot reach stops start-up naming the setting.
     */
    @Test
    void topicsTakeTheClustersReplicationUnlessSetAndAnUnreachableOneIsNamed() throws Exception {
        Path log = Path.of("target", "e2e-logs", "startup-cluster-replication.log");
        try (FerryProcess producer = FerryProcess.start("producer",
                Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(), "FERRY_INBOX",
                        root.resolve("in-rf").toString(), "FERRY_STATE_DIR", root.resolve("s-rf").toString(),
                        "FERRY_TOPIC", "replication-default"),
                log)) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> producer.get("/q/health/ready") == 200);
        }
        assertThat(ProcessLog.text(log)).contains("Topics get the cluster's default replication factor 1")
                .contains("Created topic replication-default (chunks): 6 partitions, replication factor 1")
                .contains("min.insync.replicas=1");

        String three = runUntilExit("producer",
                Map.of("FERRY_INBOX", root.resolve("in-rf3").toString(), "FERRY_STATE_DIR",
                        root.resolve("s-rf3").toString(), "FERRY_TOPIC", "replication-three",
                        "FERRY_REPLICATION_FACTOR", "3", "FERRY_MIN_INSYNC_REPLICAS", "2"),
                "replication-three");
        assertThat(three).contains("Cannot create topic replication-three").contains("ferry.replication-factor");
    }

    @Test
    void anUnreachableBrokerStopsStartUpWithTheAddress() throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("FERRY_INBOX", root.resolve("in").toString(), "FERRY_STATE_DIR",
                root.resolve("s4").toString(), "FERRY_KAFKA_STARTUP_TIMEOUT", "6s"));
        env.put("KAFKA_BOOTSTRAP_SERVERS", "localhost:1");
        String log = runUntilExit("producer", env, "unreachable");
        assertThat(log).contains("Kafka is not reachable at localhost:1");
        assertTheReasonIsTheMessageOnce("unreachable", "Kafka is not reachable at localhost:1");
        // While it waits: one line per interval (6 s / 4 here, 10 s by default) counting its real tries, instead of
        // the Kafka client's warning every second.
        List<String> warnings = ProcessLog.records(Path.of("target", "e2e-logs", "startup-unreachable.log")).stream()
                .filter(r -> "WARN".equals(r.path("level").asText())).map(r -> r.path("message").asText()).toList();
        System.out.println("warnings while Kafka was unreachable for 6 s: " + warnings);
        assertThat(warnings).isNotEmpty().hasSizeLessThanOrEqualTo(4)
                .allMatch(w -> w.startsWith("Kafka not reachable at localhost:1 yet (try "));
        assertThat(warnings.get(warnings.size() - 1)).doesNotContain("(try 1,");
    }

    private String runUntilExit(String profile, Map<String, String> settings, String name) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1"));
        env.putAll(settings);
        Path log = Path.of("target", "e2e-logs", "startup-" + name + ".log");
        try (FerryProcess process = FerryProcess.start(profile, env, log)) {
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> !process.isAlive());
        }
        return ProcessLog.text(log);
    }
}
