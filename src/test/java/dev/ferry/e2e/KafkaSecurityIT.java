package dev.ferry.e2e;

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

import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.SecureKafkaBroker;
import dev.ferry.testing.TestCertificates;
import dev.ferry.testing.TestFiles;

/**
 * Ferry against a secured broker, configured only with the standard Kafka client keys as environment variables fed from
 * PEM text, the way the Kubernetes manifests feed them from Strimzi's Secrets. One file crosses with the producer on
 * mutual TLS and the consumer on SCRAM-SHA-512 over TLS; a client without a certificate, or with a wrong password, is
 * refused with a message that says so.
 */
class KafkaSecurityIT {

    static final String USER = "ferry";
    static final String PASSWORD = "s3cret-ferry-password";
    static final Path LOGS = Path.of("target", "e2e-logs", "security");

    static SecureKafkaBroker broker;
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("ferry-security");
        broker = SecureKafkaBroker.start(root.resolve("broker"));
        broker.scramUser(USER, PASSWORD);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void aFileMovesWithTheProducerOnMutualTlsAndTheConsumerOnScram() throws Exception {
        Path inbox = Files.createDirectories(root.resolve("inbox"));
        Path outbox = root.resolve("outbox");
        TestCertificates.Pem client = broker.ca().issue(USER);
        Map<String, String> producerEnv = mutualTls(client);
        producerEnv.putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR", root.resolve("p").toString()));
        Map<String, String> consumerEnv = scram(PASSWORD);
        consumerEnv.putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR", root.resolve("c").toString(),
                "FERRY_GROUP_ID", "ferry-secure"));

        try (FerryProcess producer = FerryProcess.start("producer", producerEnv, LOGS.resolve("mtls-producer.log"));
                FerryProcess consumer = FerryProcess.start("consumer", consumerEnv,
                        LOGS.resolve("scram-consumer.log"))) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
            Path file = TestFiles.randomAtomically(inbox.resolve("secure/data.bin"), 6L << 20, 7);
            String sha = TestFiles.sha256(file);
            Path delivered = outbox.resolve("secure/data.bin");
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));
            assertThat(TestFiles.sha256(delivered)).isEqualTo(sha);
        }
    }

    @Test
    void aClientWithoutACertificateIsRefusedWithAClearMessage() throws Exception {
        Map<String, String> env = tlsWithoutCertificate();
        env.putAll(Map.of("FERRY_INBOX", root.resolve("in-nocert").toString(), "FERRY_STATE_DIR",
                root.resolve("p-nocert").toString()));
        assertRefused(env, "producer", "no-certificate.log", "SSL");
    }

    @Test
    void aWrongPasswordIsRefusedWithAClearMessage() throws Exception {
        Map<String, String> env = scram("not-the-password");
        env.putAll(Map.of("FERRY_OUTBOX", root.resolve("out-badpw").toString(), "FERRY_STATE_DIR",
                root.resolve("c-badpw").toString(), "FERRY_GROUP_ID", "ferry-badpw"));
        assertRefused(env, "consumer", "wrong-password.log", "SASL");
    }

    /**
     * Refused credentials are named at once, not after the start-up timeout as "unreachable"; the app is never ready,
     * and gives up after ferry.kafka-startup-timeout with the same explanation.
     */
    private static void assertRefused(Map<String, String> env, String role, String log, String how) throws Exception {
        env.put("FERRY_KAFKA_STARTUP_TIMEOUT", "8s");
        try (FerryProcess app = FerryProcess.start(role, env, LOGS.resolve(log))) {
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> ProcessLog.text(app.log()).contains("Kafka refused Ferry's credentials"));
            assertThat(ProcessLog.text(app.log())).contains(how);
            assertThat(app.get("/q/health/ready")).isNotEqualTo(200);
            assertThat(app.awaitExit(Duration.ofSeconds(60))).isNotZero();
            // The final reason is the last ERROR line's own message (StartupFailure), not a generic "Failed to start".
            assertThat(ProcessLog.text(app.log()))
                    .containsPattern(
                            "ERROR \\[[^]]+\\] Kafka refused Ferry's credentials: .*\\(at [^)]+, for \\d+ s\\)")
                    .doesNotContain("Failed to start application").doesNotContain("Kafka is not reachable");
        }
    }

    @Test
    void revokedCredentialsTakeReadinessDownWhileRunning() throws Exception {
        String user = "ferry-revoked";
        broker.scramUser(user, PASSWORD);
        Map<String, String> env = scram(user, PASSWORD);
        env.putAll(Map.of("FERRY_OUTBOX", root.resolve("out-revoked").toString(), "FERRY_STATE_DIR",
                root.resolve("c-revoked").toString(), "FERRY_GROUP_ID", "ferry-revoked"));
        try (FerryProcess app = FerryProcess.start("consumer", env, LOGS.resolve("revoked.log"))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> app.get("/q/health/ready") == 200);
            broker.scramUser(user, "a-new-password");
            await().atMost(Duration.ofSeconds(60)).until(() -> app.get("/q/health/ready") == 503);
            assertThat(app.get("/q/health/live")).isEqualTo(200);
            assertThat(ProcessLog.text(app.log())).contains("Kafka refused Ferry's credentials");
        }
    }

    private static Map<String, String> base(String bootstrap) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        // As the manifests mount Strimzi's cluster CA Secret: a file, not PEM text in the environment.
        Path ca = Files.createDirectories(root.resolve("kafka-ca")).resolve("ca.crt");
        Files.writeString(ca, broker.ca().caCertificate());
        env.put("KAFKA_SSL_TRUSTSTORE_TYPE", "PEM");
        env.put("KAFKA_SSL_TRUSTSTORE_LOCATION", ca.toString());
        env.put("FERRY_REPLICATION_FACTOR", "1");
        env.put("FERRY_MIN_INSYNC_REPLICAS", "1");
        env.put("FERRY_PARTITIONS", "2");
        env.put("FERRY_SETTLE_TIME", "500ms");
        env.put("FERRY_KAFKA_STARTUP_TIMEOUT", "20s");
        return env;
    }

    /**
     * What the manifests set from Strimzi's KafkaUser Secret and cluster CA, mounted as files: the key store
     * {@code user.p12}, and only its password ({@code user.password}) in the environment.
     */
    private static Map<String, String> mutualTls(TestCertificates.Pem client) throws IOException {
        Map<String, String> env = base(broker.tlsBootstrap());
        String password = "p12-" + System.nanoTime();
        Path p12 = TestCertificates.writePkcs12(client, root.resolve("kafka-user").resolve("user.p12"), password);
        env.put("KAFKA_SECURITY_PROTOCOL", "SSL");
        env.put("KAFKA_SSL_KEYSTORE_TYPE", "PKCS12");
        env.put("KAFKA_SSL_KEYSTORE_LOCATION", p12.toString());
        env.put("KAFKA_SSL_KEYSTORE_PASSWORD", password);
        return env;
    }

    private static Map<String, String> tlsWithoutCertificate() throws IOException {
        Map<String, String> env = base(broker.tlsBootstrap());
        env.put("KAFKA_SECURITY_PROTOCOL", "SSL");
        return env;
    }

    /** What the manifests set from a SCRAM KafkaUser's Secret (its sasl.jaas.config key). */
    private static Map<String, String> scram(String password) throws IOException {
        return scram(USER, password);
    }

    private static Map<String, String> scram(String user, String password) throws IOException {
        Map<String, String> env = base(broker.saslBootstrap());
        env.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        env.put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512");
        env.put("KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + user + "\" password=\"" + password + "\";");
        return env;
    }
}
