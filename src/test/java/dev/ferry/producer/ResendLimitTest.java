package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

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

import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.receipt.Receipt;
import dev.ferry.testing.Http;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;
import dev.ferry.testing.TopicReader;

/**
 * One forged FAILED receipt (anyone with the receipts topic's credentials can write one) made the producer send a file
 * again and again without limit. Now it re-sends a bounded number of times, with a growing pause, and then shows the
 * file failed with the reason.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(ResendLimitTest.ProducerOnly.class)
class ResendLimitTest {

    /** A producer without a consumer, so that nothing but the forged receipt answers it. */
    public static class ProducerOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.role", "producer", "mp.messaging.incoming.chunks-in.enabled", "false",
                    "ferry.max-resends", "2");
        }
    }

    @Inject
    FerryConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/")
    URL base;

    @Test
    void aForgedFailedReceiptCausesAtMostMaxResendsAttemptsThenAVisibleFailure() throws Exception {
        Path inbox = config.producer().inbox().orElseThrow();
        Path file = TestFiles.randomAtomically(inbox.resolve("target.bin"), 5000, 1);
        String id = TransferIds.of(FileState.read(inbox, file));
        try (KafkaCompanion companion = new KafkaCompanion(bootstrap)) {
            // Each attempt the producer makes is answered by a forged failure, as a consumer that always fails would.
            for (int attempt = 0; attempt <= 2; attempt++) {
                int expected = attempt;
                await().atMost(Duration.ofSeconds(60)).until(() -> attemptsOf(id).contains(expected));
                Receipt forged = new Receipt.Subject(id, attempt, "target.bin", 5000, config.topics().topic())
                        .failed("mallory", "forged failure");
                companion.produce(Serdes.String(), Serdes.String())
                        .fromRecords(new ProducerRecord<>(config.topics().receiptsTopicName(), id, forged.toJson()))
                        .awaitCompletion();
            }
        }
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(Http.get(base, "/api/transfers?side=producer&state=failed").body())
                        .contains("forged failure; failed after 2 re-sends"));
        // Given up: no fourth attempt, however long one waits, until the file changes.
        await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(attemptsOf(id)).containsExactly(0, 1, 2));
        assertThat(Http.get(base, "/api/transfers/" + id).body()).doesNotContain("\"state\":\"WAITING\"");
    }

    private Set<Integer> attemptsOf(String id) {
        Set<Integer> attempts = new TreeSet<>();
        TopicReader.forEach(bootstrap, config.topics().topic(), r -> {
            if (id.equals(r.key())) {
                try {
                    FerryRecord record = WireFormat.decode(r.key(), r.headers(), r.value());
                    attempts.add(record.attempt());
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }
        });
        return attempts;
    }
}
