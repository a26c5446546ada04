package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.Hashing;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.receipt.KafkaReceipts;
import dev.ferry.receipt.Receipt;
import dev.ferry.stream.FrameFormat;
import dev.ferry.stream.StreamCatalog;
import dev.ferry.stream.StreamInfo;
import dev.ferry.testing.Http;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;
import dev.ferry.testing.TestKeys;
import dev.ferry.testing.TopicReader;
import dev.ferry.trust.KeyRing;
import dev.ferry.trust.RecordSignatures;
import dev.ferry.trust.SigningKey;
import dev.ferry.trust.TrustedKeys;
import dev.ferry.verify.Verifier;

/**
 * Records and receipts written by anyone holding Kafka credentials, against both roles with signatures required. Each
 * attack worked before: a forged one-chunk "file" with a high attempt replaced the real file in the outbox (and the
 * producer then deleted the source), and a planted receipt made the consumer skip a file that was never delivered.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(SignedTransfersTest.Signing.class)
@TestMethodOrder(MethodOrderer.MethodName.class)
class SignedTransfersTest {

    static final TestKeys KEYS = TestKeys.named("signed-transfers");

    /** Both roles sign with one key; the next key (a rotation under way) is trusted too. */
    public static class Signing implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            KEYS.make("ferry");
            KEYS.make("next", KEYS.dir.resolve("trusted"));
            return Map.of("ferry.source-policy", "delete", "ferry.signing-key", KEYS.privateKey("ferry").toString(),
                    "ferry.trusted-keys", KEYS.dir.resolve("trusted").toString(), "ferry.compression", "auto");
        }
    }

    @Inject
    FerryConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/")
    URL base;

    @Test
    void aForgedChunkOrAbortCannotReplaceOrEndATransfer() throws Exception {
        SigningKey own = KEYS.read("ferry");
        SigningKey mallory = KEYS.make("mallory");
        Path inbox = config.producer().inbox().orElseThrow();
        Path hidden = TestFiles.random(inbox.resolve(".secret.bin.writing"), 1_500_000, 5);
        String sha = TestFiles.sha256(hidden);
        String id = idOnceRenamed(inbox, hidden, "secret.bin");

        byte[] forged = "forged".getBytes(StandardCharsets.UTF_8);
        Chunk replacement = new Chunk(id, Integer.MAX_VALUE, "secret.bin", 0, 1, 0, forged.length, 0, 0644, forged,
                Hashing.sha256(forged));
        Chunk other = new Chunk(id, Integer.MAX_VALUE, "secret.bin", 0, 1, 0, 1, 0, 0644, new byte[1],
                Hashing.sha256(new byte[1]));
        List<ProducerRecord<String, byte[]>> attack = List.of(record(replacement, null), record(replacement, mallory),
                // a real signature of another record, copied onto the forgery
                withSignatureOf(replacement, other, own), record(new Abort(id, 0, "secret.bin", "forged abort"), null));
        produce(attack);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(deadLetterCategories(id))
                .containsExactlyInAnyOrder("unsigned", "unknown-key", "bad-signature", "unsigned"));

        Path file = Files.move(hidden, inbox.resolve("secret.bin"));
        Path delivered = config.consumer().outbox().orElseThrow().resolve("secret.bin");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(delivered).exists();
            assertThat(TestFiles.sha256(delivered)).as("the real file, not the forgery").isEqualTo(sha);
            assertThat(file).as("deleted on its verified receipt").doesNotExist();
        });
        assertThat(receiptsOf(id)).as("no forged record failed the transfer").noneMatch(r -> r.contains("FAILED"))
                .last().asString().contains("\"outcome\":\"DELIVERED\"").contains("\"attempt\":0");
        // Every record the producer wrote is signed by its key, and the signature holds.
        TrustedKeys trusted = TrustedKeys.of(List.of(own.publicKey()));
        List<String> verdicts = new ArrayList<>();
        TopicReader.forEach(bootstrap, config.topics().topic(), r -> {
            if (id.equals(r.key()) && r.headers().lastHeader(WireFormat.KEY_HEADER) != null
                    && own.keyId().equals(new String(r.headers().lastHeader(WireFormat.KEY_HEADER).value()))) {
                verdicts.add(verify(trusted, r).name());
            }
        });
        assertThat(verdicts).as("three chunks of the producer, and the forgery wearing a copied signature")
                .containsExactlyInAnyOrder("VALID", "VALID", "VALID", "BAD_SIGNATURE");
        assertThat(Http.get(base, "/q/metrics").body())
                .containsPattern("ferry_dead_letters_total\\{reason=\"bad-signature\"} [1-9]");
    }

    @Test
    void aCompressibleFileTravelsCompressedAndSignedAndArrivesWhole() throws Exception {
        Path inbox = config.producer().inbox().orElseThrow();
        StringBuilder log = new StringBuilder();
        for (int i = 0; log.length() < 2_000_000; i++) {
            log.append("2026-12-01T10:00:").append(i % 60).append(" INFO  [dev.ferry] transfer ").append(i)
                    .append(" moved, 524288 bytes, attempt 0\n");
        }
        Path hidden = inbox.resolve(".app.log.writing");
        Files.writeString(hidden, log);
        String sha = TestFiles.sha256(hidden);
        String id = idOnceRenamed(inbox, hidden, "app.log");
        Files.move(hidden, inbox.resolve("app.log"));
        Path delivered = config.consumer().outbox().orElseThrow().resolve("app.log");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(delivered).exists();
            assertThat(TestFiles.sha256(delivered)).isEqualTo(sha);
        });
        long[] wire = { 0, 0 };
        TopicReader.forEach(bootstrap, config.topics().topic(), r -> {
            if (id.equals(r.key())) {
                wire[0] += r.value().length;
                wire[1] += r.headers().lastHeader(WireFormat.COMPRESSION_HEADER) != null ? 1 : 0;
            }
        });
        System.out.printf("A %d-byte log file on the wire, compressed per chunk (auto): %d bytes in %d chunks%n",
                log.length(), wire[0], wire[1]);
        assertThat(wire[1]).as("every chunk compressed").isEqualTo(4);
        assertThat(wire[0]).isLessThan(log.length() / 4);
    }

    @Test
    void aPlantedReceiptDoesNotStopADelivery() throws Exception {
        SigningKey mallory = KEYS.make("mallory");
        Path inbox = config.producer().inbox().orElseThrow();
        Path hidden = TestFiles.random(inbox.resolve(".planted.bin.writing"), 40_000, 6);
        String sha = TestFiles.sha256(hidden);
        String id = idOnceRenamed(inbox, hidden, "planted.bin");
        Receipt planted = new Receipt.Subject(id, 0, "planted.bin", 40_000, config.topics().topic())
                .delivered("planted.bin", sha, "mallory");
        String topic = config.topics().receiptsTopicName();
        ProducerRecord<String, byte[]> unsigned = new ProducerRecord<>(topic, id,
                planted.toJson().getBytes(StandardCharsets.UTF_8));
        ProducerRecord<String, byte[]> signedByStranger = new ProducerRecord<>(topic, id,
                planted.toJson().getBytes(StandardCharsets.UTF_8));
        signedByStranger.headers().add(WireFormat.KEY_HEADER, mallory.keyId().getBytes(StandardCharsets.UTF_8));
        signedByStranger.headers().add(WireFormat.SIGNATURE_HEADER,
                mallory.sign(RecordSignatures.signedBytes(Receipt.SIGNATURE_DOMAIN, topic, id,
                        planted.toJson().getBytes(StandardCharsets.UTF_8), mallory.keyId())));
        produce(List.of(unsigned, signedByStranger));

        Path file = Files.move(hidden, inbox.resolve("planted.bin"));
        Path delivered = config.consumer().outbox().orElseThrow().resolve("planted.bin");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(delivered).exists();
            assertThat(TestFiles.sha256(delivered)).isEqualTo(sha);
            assertThat(file).doesNotExist();
        });
        assertThat(receiptsOf(id).get(receiptsOf(id).size() - 1)).contains("\"instance\":\"ferry-test\"");
        // A forged tombstone would make the delivered file deliverable again: a reader requiring signatures keeps it.
        produce(List.of(new ProducerRecord<>(topic, id, null)));
        KeyRing keys = new KeyRing();
        keys.use(Optional.empty(), TrustedKeys.read(List.of(KEYS.dir.resolve("ferry.pub"))), true);
        try (KafkaReceipts fresh = new KafkaReceipts(Map.of("bootstrap.servers", bootstrap), topic, "tombstone-test",
                false, x -> true, Duration.ofSeconds(30)).signedWith(keys, reason -> {
                })) {
            fresh.refresh();
            assertThat(fresh.isFinal(id)).as("delivered, whatever an unsigned tombstone says").isTrue();
        }
        assertThat(Http.get(base, "/q/metrics").body())
                .containsPattern("ferry_receipts_rejected_total\\{reason=\"unsigned\"} [1-9]")
                .containsPattern("ferry_receipts_rejected_total\\{reason=\"unknown-key\"} [1-9]");
    }

    @Test
    void aFileWhoseChunksAreSignedByTheOldAndTheNewKeyArrives() throws Exception {
        // What a producer restarted with a rotated key does mid-file: the attempt goes on under the new key.
        SigningKey old = KEYS.read("ferry");
        SigningKey next = KEYS.make("next", KEYS.dir.resolve("trusted"));
        byte[] content = new byte[3 * 1024 + 100];
        new Random(11).nextBytes(content);
        String id = "0123456789abcdef0123456789abcdef";
        byte[] sha = Hashing.sha256(content);
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int from = i * 1024;
            byte[] data = Arrays.copyOfRange(content, from, Math.min(content.length, from + 1024));
            Chunk c = new Chunk(id, 0, "rotated.bin", i, 4, from, content.length, 0, 0644, data, i == 3 ? sha : null);
            records.add(record(c, i < 2 ? old : next));
        }
        produce(records);
        Path delivered = config.consumer().outbox().orElseThrow().resolve("rotated.bin");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(delivered).exists();
            assertThat(Files.readAllBytes(delivered)).isEqualTo(content);
        });
        assertThat(deadLetterCategories(id)).isEmpty();
    }

    @Test
    void viewersListOnlyStreamsATrustedProducerAnnounced() throws Exception {
        SigningKey own = KEYS.read("ferry");
        String topic = FrameFormat.announcementsTopic(config.streams().topic());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            // No streams inbox here, so nothing made the topic; a producer that streams would.
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        StreamInfo forged = StreamInfo.starting("forged-stream", "mallory.mp4");
        StreamInfo real = StreamInfo.starting("real-stream", "camera.mp4");
        byte[] forgedJson = forged.toJson().getBytes(StandardCharsets.UTF_8);
        byte[] realJson = real.toJson().getBytes(StandardCharsets.UTF_8);
        ProducerRecord<String, byte[]> signed = new ProducerRecord<>(topic, real.name(), realJson);
        KeyRing signer = new KeyRing();
        signer.use(Optional.of(own), TrustedKeys.NONE, false);
        RecordSignatures.sign(signer, StreamCatalog.SIGNATURE_DOMAIN, topic, real.name(), realJson, signed.headers());
        produce(List.of(new ProducerRecord<>(topic, forged.name(), forgedJson), signed));
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(Http.get(base, "/api/streams").body()).contains("real-stream"));
        assertThat(Http.get(base, "/api/streams").body()).doesNotContain("forged-stream");
    }

    @Test
    void verifyWithTheTrustedKeysSeesOnlyWhatWasReallySent() throws Exception {
        // After the tests above (method order): forged records and receipts lie in every topic.
        KeyRing keys = new KeyRing();
        keys.use(Optional.empty(),
                TrustedKeys.read(List.of(KEYS.dir.resolve("ferry.pub"), KEYS.dir.resolve("trusted"))), true);
        Verifier.Report report = new Verifier(Map.of("bootstrap.servers", bootstrap), config.topics().topic(),
                config.topics().receiptsTopicName(), config.topics().deadLetterTopicName(), Duration.ofSeconds(30))
                        .trusting(keys).verify(config.consumer().outbox().orElseThrow(), false);
        assertThat(report.findings()).isEmpty();
        assertThat(report.identical()).isEqualTo(4);
        assertThat(report.untrusted()).as("4 forged records, 2 planted receipts, their dead letters")
                .isGreaterThanOrEqualTo(6);
    }

    /** The transfer id the producer will give {@code hidden} once it is renamed to {@code name} (same inode, mtime). */
    private static String idOnceRenamed(Path inbox, Path hidden, String name) {
        FileState s = FileState.read(inbox, hidden);
        return TransferIds.of(
                new FileState(name, s.file(), s.size(), s.modifiedMillis(), s.changedNanos(), s.fileKey(), s.mode()));
    }

    private ProducerRecord<String, byte[]> record(FerryRecord r, SigningKey key) {
        String topic = config.topics().topic();
        Headers headers = key == null ? WireFormat.headersOf(r)
                : WireFormat.headersOf(r, key.keyId(), key.sign(WireFormat.signedBytes(r, topic, key.keyId())));
        return new ProducerRecord<>(topic, null, r.transferId(), WireFormat.valueOf(r), headers);
    }

    private ProducerRecord<String, byte[]> withSignatureOf(Chunk forged, Chunk signed, SigningKey key) {
        String topic = config.topics().topic();
        byte[] signature = key.sign(WireFormat.signedBytes(signed, topic, key.keyId()));
        return new ProducerRecord<>(topic, null, forged.transferId(), forged.data(),
                WireFormat.headersOf(forged, key.keyId(), signature));
    }

    private void produce(List<ProducerRecord<String, byte[]>> records) {
        try (KafkaCompanion companion = new KafkaCompanion(bootstrap)) {
            companion.produce(Serdes.String(), Serdes.ByteArray()).fromRecords(records).awaitCompletion();
        }
    }

    private List<String> deadLetterCategories(String id) {
        List<String> categories = new ArrayList<>();
        TopicReader.forEach(bootstrap, config.topics().deadLetterTopicName(), r -> {
            if (id.equals(r.key())) {
                categories.add(
                        new String(r.headers().lastHeader("dead-letter-category").value(), StandardCharsets.UTF_8));
            }
        });
        return categories;
    }

    private List<String> receiptsOf(String id) {
        List<String> receipts = new ArrayList<>();
        TopicReader.forEach(bootstrap, config.topics().receiptsTopicName(), r -> {
            if (id.equals(r.key()) && r.value() != null) {
                receipts.add(new String(r.value(), StandardCharsets.UTF_8));
            }
        });
        return receipts;
    }

    private TrustedKeys.Verdict verify(TrustedKeys trusted, ConsumerRecord<String, byte[]> r) {
        try {
            WireFormat.Signed s = WireFormat.decodeSigned(r.key(), r.headers(), r.value());
            return trusted.verify(s.keyId(), WireFormat.signedBytes(s, r.topic()), s.signature());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
