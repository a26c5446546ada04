package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;

import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.receipt.Receipt;
import dev.ferry.testing.Http;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;
import dev.ferry.testing.TestKeys;
import dev.ferry.trust.RecordSignatures;
import dev.ferry.trust.SigningKey;

/**
 * One forged DELIVERED receipt, with no consumer running at all, made a producer with {@code source-policy=delete}
 * delete a file that was never delivered. With keys, the producer acts only on a receipt signed by a trusted key that
 * names the attempt, size and SHA-256 it sent.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(SignedReceiptsTest.SigningProducer.class)
class SignedReceiptsTest {

    static final TestKeys KEYS = TestKeys.named("signed-receipts");

    /** A producer alone (nothing but the test answers it), signing, trusting only the consumer's key. */
    public static class SigningProducer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            KEYS.make("producer");
            KEYS.make("consumer", KEYS.dir.resolve("trusted"));
            return Map.of("ferry.role", "producer", "mp.messaging.incoming.chunks-in.enabled", "false",
                    "ferry.source-policy", "delete", "ferry.signing-key", KEYS.privateKey("producer").toString(),
                    "ferry.trusted-keys", KEYS.dir.resolve("trusted").toString());
        }
    }

    @Inject
    FerryConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/")
    URL base;

    @Test
    void onlyASignedReceiptForWhatWasSentDeletesTheSource() throws Exception {
        SigningKey consumer = KEYS.make("consumer", KEYS.dir.resolve("trusted"));
        SigningKey mallory = KEYS.make("mallory");
        Path inbox = config.producer().inbox().orElseThrow();
        Path file = TestFiles.randomAtomically(inbox.resolve("payroll.csv"), 70_000, 9);
        String sha = TestFiles.sha256(file);
        String id = TransferIds.of(FileState.read(inbox, file));
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(Http.get(base, "/api/transfers/" + id).body())
                        .contains("\"side\":\"producer\"").contains("SENT"));

        Receipt.Subject subject = new Receipt.Subject(id, 0, "payroll.csv", 70_000, config.topics().topic());
        // The right size and hash (anyone can compute them who can read the chunks), but unsigned.
        write(subject.delivered("payroll.csv", sha, "mallory"), null);
        // Signed, by a key the producer does not trust.
        write(subject.delivered("payroll.csv", sha, "mallory"), mallory);
        // Signed by the trusted key, for another hash or another attempt (a consumer's receipt replayed).
        write(subject.delivered("payroll.csv", "00", "consumer-0"), consumer);
        write(new Receipt.Subject(id, 7, "payroll.csv", 70_000, config.topics().topic()).delivered("payroll.csv", sha,
                "consumer-0"), consumer);

        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(Http.get(base, "/q/metrics").body())
                        .containsPattern("ferry_receipts_rejected_total\\{reason=\"unsigned\"} [1-9]")
                        .containsPattern("ferry_receipts_rejected_total\\{reason=\"unknown-key\"} [1-9]")
                        .containsPattern("ferry_receipts_rejected_total\\{reason=\"mismatch\"} [1-9]"));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(file).as("no forged receipt deletes the source").exists());

        write(subject.delivered("payroll.csv", sha, "consumer-0"), consumer);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(file).doesNotExist());
        assertThat(Http.get(base, "/api/transfers/" + id).body()).contains("DELIVERED");
    }

    private void write(Receipt receipt, SigningKey key) {
        String topic = config.topics().receiptsTopicName();
        String json = receipt.toJson();
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, receipt.transfer(), json);
        if (key != null) {
            byte[] signed = RecordSignatures.signedBytes(Receipt.SIGNATURE_DOMAIN, topic, receipt.transfer(),
                    json.getBytes(StandardCharsets.UTF_8), key.keyId());
            record.headers().add(WireFormat.KEY_HEADER, key.keyId().getBytes(StandardCharsets.UTF_8));
            record.headers().add(WireFormat.SIGNATURE_HEADER, key.sign(signed));
        }
        try (KafkaCompanion companion = new KafkaCompanion(bootstrap)) {
            companion.produce(Serdes.String(), Serdes.String()).fromRecords(record).awaitCompletion();
        }
    }
}
