package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import dev.ferry.chunk.WireFormat;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.SecureKafkaBroker;
import dev.ferry.testing.TestFiles;

/**
 * Least privilege in Kafka: a broker with the ACL authorizer on, one SCRAM user per role holding exactly the ACLs of
 * the Strimzi example (kubernetes/strimzi/user.yaml, read here), and the topics made beforehand as Strimzi's topic
 * operator would. Ferry works with those rights and no more: each role's forbidden writes are refused by the broker.
 */
class KafkaAclIT {

    static final String PASSWORD = "s3cret-acl-password";
    static final Path LOGS = Path.of("target", "e2e-logs", "acl");
    static final String TOPIC = "ferry-chunks";

    static SecureKafkaBroker broker;
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("ferry-acl");
        broker = SecureKafkaBroker.start(root.resolve("broker"), true);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.plainBootstrap()))) {
            admin.createTopics(List.of(
                    new NewTopic(TOPIC, 2, (short) 1).configs(
                            Map.of("max.message.bytes", Integer.toString(WireFormat.maxRecordBytes(512 * 1024)))),
                    new NewTopic(TOPIC + "-dlq", 1, (short) 1).configs(Map.of("max.message.bytes",
                            Integer.toString(WireFormat.maxRecordBytes(WireFormat.MAX_CHUNK_BYTES)))),
                    new NewTopic(TOPIC + "-receipts", 1, (short) 1).configs(Map.of("cleanup.policy", "compact")),
                    new NewTopic("ferry-frames", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            List<AclBinding> acls = new ArrayList<>();
            for (JsonNode user : strimziUsers()) {
                String name = user.path("metadata").path("name").asText();
                broker.scramUser(name, PASSWORD);
                acls.addAll(aclsOf(name, user));
            }
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            System.out.printf("ACLs from kubernetes/strimzi/user.yaml: %d bindings%n", acls.size());
        }
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aFileMovesWithEachRoleHoldingOnlyItsOwnRights() throws Exception {
        Path inbox = Files.createDirectories(root.resolve("inbox"));
        Path outbox = root.resolve("outbox");
        Map<String, String> producerEnv = scram("ferry-producer");
        producerEnv.putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR", root.resolve("p").toString()));
        Map<String, String> consumerEnv = scram("ferry-consumer");
        consumerEnv.putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR", root.resolve("c").toString(),
                "FERRY_GROUP_ID", "ferry-acl"));
        try (FerryProcess producer = FerryProcess.start("producer", producerEnv, LOGS.resolve("producer.log"));
                FerryProcess consumer = FerryProcess.start("consumer", consumerEnv, LOGS.resolve("consumer.log"))) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
            Path file = TestFiles.randomAtomically(inbox.resolve("acl/data.bin"), 3L << 20, 8);
            String sha = TestFiles.sha256(file);
            Path delivered = outbox.resolve("acl/data.bin");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));
            assertThat(TestFiles.sha256(delivered)).isEqualTo(sha);
            // The receipt came back through the producer's read-only right on the receipts topic.
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(producer.body("/api/transfers?side=producer&state=delivered"))
                            .contains("acl/data.bin"));
        }
    }

    @Test
    void eachRolesForbiddenWritesAreRefusedByTheBroker() {
        // The producer cannot forge receipts or dead letters, nor make topics.
        assertWriteRefused("ferry-producer", TOPIC + "-receipts");
        assertWriteRefused("ferry-producer", TOPIC + "-dlq");
        // The consumer cannot write chunks (it would deliver what it likes to other consumers) or frames.
        assertWriteRefused("ferry-consumer", TOPIC);
        assertWriteRefused("ferry-consumer", "ferry-frames");
        try (Admin admin = Admin.create(clientSettings("ferry-producer"))) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("ferry-chunks.rogue", 1, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(TopicAuthorizationException.class);
        }
        // The producer reads receipts by position, never in a consumer group: it has none.
        Map<String, Object> group = clientSettings("ferry-producer");
        group.put("group.id", "ferry-producer-group");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(group, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(TOPIC + "-receipts"));
            assertThatThrownBy(() -> {
                for (int i = 0; i < 20; i++) {
                    c.poll(Duration.ofMillis(500));
                }
            }).isInstanceOf(GroupAuthorizationException.class);
        }
    }

    private static void assertWriteRefused(String user, String topic) {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(clientSettings(user), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>(topic, new byte[1])).get(30, TimeUnit.SECONDS))
                    .as(user + " writing " + topic).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    /** Strimzi's simple authorization rules, as the User Operator turns them into Kafka ACLs. */
    private static List<AclBinding> aclsOf(String user, JsonNode kafkaUser) {
        List<AclBinding> bindings = new ArrayList<>();
        for (JsonNode rule : kafkaUser.path("spec").path("authorization").path("acls")) {
            JsonNode r = rule.path("resource");
            ResourceType type = ResourceType.valueOf(r.path("type").asText().toUpperCase(Locale.ROOT));
            String name = type == ResourceType.CLUSTER ? "kafka-cluster" : r.path("name").asText();
            PatternType pattern = r.path("patternType").asText("literal").equals("prefix") ? PatternType.PREFIXED
                    : PatternType.LITERAL;
            AclPermissionType permission = rule.path("type").asText("allow").equals("deny") ? AclPermissionType.DENY
                    : AclPermissionType.ALLOW;
            for (JsonNode op : rule.path("operations")) {
                AclOperation operation = AclOperation
                        .valueOf(op.asText().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
                bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
                        new AccessControlEntry("User:" + user, "*", operation, permission)));
            }
        }
        return bindings;
    }

    private static List<JsonNode> strimziUsers() throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<JsonNode> users = new ArrayList<>();
        try (var docs = yaml.readerFor(JsonNode.class)
                .readValues(Files.readString(Path.of("kubernetes", "strimzi", "user.yaml")))) {
            while (docs.hasNext()) {
                JsonNode doc = (JsonNode) docs.next();
                if (doc.path("kind").asText().equals("KafkaUser")) {
                    users.add(doc);
                }
            }
        }
        assertThat(users).hasSize(2);
        return users;
    }

    private static Map<String, Object> clientSettings(String user) {
        Map<String, Object> s = new HashMap<>();
        scram(user).forEach((k, v) -> {
            if (k.startsWith("KAFKA_")) {
                s.put(k.substring(6).toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        });
        s.put("max.block.ms", "20000");
        s.put("delivery.timeout.ms", "25000");
        s.put("request.timeout.ms", "20000");
        return s;
    }

    private static Map<String, String> scram(String user) {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", broker.saslBootstrap());
        env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
        env.put("KAFKA_SSL_TRUSTSTORE_CERTIFICATES", broker.ca().caCertificate());
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        env.put("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + user + "\" password=\"" + PASSWORD + "\";");
        env.put("FERRY_CREATE_TOPICS", "false");
        env.put("FERRY_REPLICATION_FACTOR", "1");
        env.put("FERRY_MIN_INSYNC_REPLICAS", "1");
        env.put("FERRY_SETTLE_TIME", "500ms");
        env.put("FERRY_KAFKA_STARTUP_TIMEOUT", "20s");
        return env;
    }
}
