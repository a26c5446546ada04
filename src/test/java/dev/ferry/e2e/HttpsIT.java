package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.FreePorts;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestCertificates;

/**
 * HTTPS on the HTTP port as the generated manifests set it up: certificate and key as the files cert-manager writes
 * into a Secret ({@code tls.crt}, {@code tls.key}), plain HTTP off. A client that trusts the CA gets the probes and,
 * with a token, the API; one that does not trust it fails the handshake; the plain port does not answer.
 */
class HttpsIT {

    static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = KafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void theHttpPortServesHttpsOnlyWithTheMountedCertificate() throws Exception {
        Path dir = Files.createDirectories(Path.of("target", "e2e-logs", "https").toAbsolutePath());
        TestCertificates ca = TestCertificates.authority("ferry-test-ca");
        TestCertificates.Pem server = ca.issue("localhost");
        Path tls = Files.createDirectories(dir.resolve("http-tls"));
        Files.writeString(tls.resolve("tls.crt"), server.certificate());
        Files.writeString(tls.resolve("tls.key"), server.key());
        int https = FreePorts.next();
        Map<String, String> env = new HashMap<>(Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_INBOX",
                dir.resolve("inbox").toString(), "FERRY_STATE_DIR", dir.resolve("state").toString(),
                "QUARKUS_HTTP_SSL_CERTIFICATE_FILES", tls.resolve("tls.crt").toString(),
                "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES", tls.resolve("tls.key").toString(),
                "QUARKUS_HTTP_INSECURE_REQUESTS", "disabled", "QUARKUS_HTTP_SSL_PORT", Integer.toString(https)));
        HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(ca.caCertificate())).build();
        try (FerryProcess producer = FerryProcess.start("producer", env, dir.resolve("producer.log"))) {
            URI ready = URI.create("https://localhost:" + https + "/q/health/ready");
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions()
                    .until(() -> trusting
                            .send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode() == 200);
            HttpResponse<String> api = trusting.send(
                    HttpRequest.newBuilder(URI.create("https://localhost:" + https + "/api/transfers"))
                            .header("Authorization", "Bearer " + FerryProcess.TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(api.statusCode()).isEqualTo(200);
            HttpResponse<String> anonymous = trusting.send(
                    HttpRequest.newBuilder(URI.create("https://localhost:" + https + "/api/transfers")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);

            HttpClient stranger = HttpClient.newHttpClient();
            assertThat(fails(
                    () -> stranger.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())))
                            .isInstanceOf(SSLHandshakeException.class);
            // FerryProcess speaks plain HTTP to QUARKUS_HTTP_PORT: nothing listens there.
            assertThat(producer.get("/q/health/live")).isEqualTo(-1);
            assertThat(fails(() -> stranger.send(HttpRequest
                    .newBuilder(URI.create("http://localhost:" + producer.port() + "/q/health/live")).build(),
                    HttpResponse.BodyHandlers.ofString()))).isInstanceOf(ConnectException.class);
        }
        // Quarkus printed the session key it made when none was configured: anyone reading the log could forge logins.
        assertThat(ProcessLog.text(dir.resolve("producer.log"))).doesNotContain("using temporary key")
                .doesNotContain("Encryption key was not specified");
    }

    interface Call {
        Object run() throws Exception;
    }

    static Throwable fails(Call call) {
        try {
            call.run();
            return null;
        } catch (Exception e) {
            return e instanceof IOException && e.getCause() instanceof SSLHandshakeException ? e.getCause() : e;
        }
    }

    static SSLContext trusting(String caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
