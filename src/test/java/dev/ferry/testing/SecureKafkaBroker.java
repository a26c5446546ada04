package dev.ferry.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;

import dev.ferry.dev.KafkaNode;

import kafka.server.KafkaRaftServer;

/**
 * A real Kafka broker (KRaft, in this JVM) with the listeners a secured cluster offers: {@code SSL} with client
 * certificates required (mutual TLS, what Strimzi's {@code tls} authentication is) and {@code SASL_SSL} with
 * SCRAM-SHA-512, both with a certificate from a test CA; plus a plaintext listener the test itself uses to set up users
 * and topics. SASL clients must re-authenticate every few seconds, so a revoked password takes effect on open
 * connections too.
 */
public final class SecureKafkaBroker implements AutoCloseable {

    /** How often SASL connections must re-authenticate. */
    public static final Duration REAUTHENTICATION = Duration.ofSeconds(3);

    private final KafkaRaftServer server;
    private final TestCertificates ca;
    private final int plainPort;
    private final int tlsPort;
    private final int saslPort;

    private SecureKafkaBroker(KafkaRaftServer server, TestCertificates ca, int plainPort, int tlsPort, int saslPort) {
        this.server = server;
        this.ca = ca;
        this.plainPort = plainPort;
        this.tlsPort = tlsPort;
        this.saslPort = saslPort;
    }

    public static SecureKafkaBroker start(Path dir) throws IOException {
        return start(dir, false);
    }

    /**
     * @param authorizer
     *            with Kafka's ACL authorizer on: nothing is allowed without an ACL, except to the plaintext listener's
     *            anonymous user (the test's own setup, and the broker itself)
     */
    public static SecureKafkaBroker start(Path dir, boolean authorizer) throws IOException {
        KafkaLogging.quiet();
        TestCertificates ca = TestCertificates.authority("ferry-test-ca");
        TestCertificates.Pem server = ca.issue("localhost");
        int plain = FreePorts.next();
        int tls = FreePorts.next();
        int sasl = FreePorts.next();
        int controller = FreePorts.next();
        Map<String, String> props = new HashMap<>();
        props.put("listeners", "PLAINTEXT://localhost:" + plain + ",SSL://localhost:" + tls + ",SASL_SSL://localhost:"
                + sasl + ",CONTROLLER://localhost:" + controller);
        props.put("advertised.listeners",
                "PLAINTEXT://localhost:" + plain + ",SSL://localhost:" + tls + ",SASL_SSL://localhost:" + sasl);
        props.put("listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
        props.put("ssl.keystore.type", "PEM");
        props.put("ssl.keystore.certificate.chain", server.certificate());
        props.put("ssl.keystore.key", server.key());
        props.put("ssl.truststore.type", "PEM");
        props.put("ssl.truststore.certificates", ca.caCertificate());
        props.put("listener.name.ssl.ssl.client.auth", "required");
        props.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
        props.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        props.put("listener.name.sasl_ssl.connections.max.reauth.ms", Long.toString(REAUTHENTICATION.toMillis()));
        if (authorizer) {
            props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            props.put("super.users", "User:ANONYMOUS");
            props.put("allow.everyone.if.no.acl.found", "false");
        }
        Files.createDirectories(dir);
        KafkaRaftServer raft = KafkaNode.start(1, plain, controller, "1@localhost:" + controller,
                Uuid.randomUuid().toString(), dir, 1, props);
        return new SecureKafkaBroker(raft, ca, plain, tls, sasl);
    }

    public TestCertificates ca() {
        return ca;
    }

    /** The listener that demands a client certificate. */
    public String tlsBootstrap() {
        return "localhost:" + tlsPort;
    }

    /** The listener that demands a SCRAM-SHA-512 user and password. */
    public String saslBootstrap() {
        return "localhost:" + saslPort;
    }

    /** For the test's own setup only. */
    public String plainBootstrap() {
        return "localhost:" + plainPort;
    }

    /** Creates the SCRAM user, or changes its password (which locks out clients with the old one). */
    public void scramUser(String user, String password) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", plainBootstrap()))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
