package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ferry.chunk.WireFormat;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestFiles;
import dev.ferry.testing.TestKeys;
import dev.ferry.testing.TopicReader;
import dev.ferry.trust.SigningKey;

/**
 * A producer key rotated while a large file is moving: the consumers already trust the new key, the producer is stopped
 * mid-file and started again with the new key, resumes the same attempt, and the file arrives whole, its chunks signed
 * partly by each key, with the source deleted on the consumer's signed receipt. Nothing is dead-lettered.
 */
class KeyRotationIT {

    static final long BIG = 24L << 20;
    static KafkaBroker broker;
    static Path root;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start();
        root = Files.createTempDirectory("ferry-rotation");
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void aFileMovingWhileTheProducerKeyRotatesArrivesWhole() throws Exception {
        TestKeys keys = new TestKeys(root.resolve("keys"));
        Path consumerTrusts = root.resolve("consumer-trusts");
        Path producerTrusts = root.resolve("producer-trusts");
        SigningKey old = keys.make("producer-old", consumerTrusts);
        SigningKey next = keys.make("producer-new", consumerTrusts);
        keys.make("consumer", producerTrusts);

        Path inbox = Files.createDirectories(root.resolve("inbox"));
        Path outbox = root.resolve("outbox");
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "2",
                "FERRY_SETTLE_TIME", "500ms");
        Map<String, String> consumerEnv = new HashMap<>(common);
        consumerEnv.putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR", root.resolve("c").toString(),
                "FERRY_GROUP_ID", "ferry-rotation", "FERRY_SIGNING_KEY", keys.privateKey("consumer").toString(),
                "FERRY_TRUSTED_KEYS", consumerTrusts.toString()));
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR", root.resolve("p").toString(),
                "FERRY_RATE_LIMIT", "2M", "FERRY_SOURCE_POLICY", "delete", "FERRY_TRUSTED_KEYS",
                producerTrusts.toString()));
        Path logs = Path.of("target", "e2e-logs", "rotation");

        Map<String, String> before = new HashMap<>(producerEnv);
        before.put("FERRY_SIGNING_KEY", keys.privateKey("producer-old").toString());
        Map<String, String> after = new HashMap<>(producerEnv);
        after.put("FERRY_SIGNING_KEY", keys.privateKey("producer-new").toString());
        after.put("FERRY_RATE_LIMIT", "64M");

        try (FerryProcess consumer = FerryProcess.start("consumer", consumerEnv, logs.resolve("consumer.log"))) {
            Path big;
            String sha;
            try (FerryProcess producer = FerryProcess.start("producer", before, logs.resolve("producer-old.log"))) {
                await().atMost(Duration.ofSeconds(90))
                        .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
                big = TestFiles.randomAtomically(inbox.resolve("big.bin"), BIG, 12);
                sha = TestFiles.sha256(big);
                // At 2 MB/s, well into the file: the consumer has staged chunks signed by the old key.
                await().atMost(Duration.ofSeconds(60)).until(() -> ProcessLog.text(producer.log()).contains("big.bin")
                        && signers().contains(old.keyId()) && chunksSigned() >= 8);
                assertThat(producer.stop(Duration.ofSeconds(30))).as("graceful stop mid-file").isEqualTo(143);
            }
            assertThat(outbox.resolve("big.bin")).doesNotExist();
            try (FerryProcess producer = FerryProcess.start("producer", after, logs.resolve("producer-new.log"))) {
                Path delivered = outbox.resolve("big.bin");
                await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                    assertThat(delivered).exists();
                    assertThat(TestFiles.sha256(delivered)).isEqualTo(sha);
                    assertThat(big).as("deleted on the consumer's signed receipt").doesNotExist();
                });
                assertThat(ProcessLog.text(producer.log())).contains("resuming attempt 0");
            }
        }
        assertThat(signers()).as("one attempt, signed by the old key and then by the new")
                .containsExactlyInAnyOrder(old.keyId(), next.keyId());
        assertThat(ProcessLog.text(logs.resolve("consumer.log"))).doesNotContain("sent to the dead-letter topic");
    }

    private static Set<String> signers() {
        Set<String> ids = new TreeSet<>();
        TopicReader.forEach(broker.bootstrapServers(), "ferry-chunks", r -> {
            if (r.headers().lastHeader(WireFormat.KEY_HEADER) != null) {
                ids.add(WireFormat.keyIdOf(r.headers().lastHeader(WireFormat.KEY_HEADER).value()));
            }
        });
        return ids;
    }

    private static int chunksSigned() {
        int[] n = { 0 };
        TopicReader.forEach(broker.bootstrapServers(), "ferry-chunks", r -> n[0]++);
        return n[0];
    }
}
