package dev.ferry.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;

/** The verify tool against a real transfer: clean when the outbox is right, and each kind of damage is named. */
@QuarkusTest
@TestProfile(VerifyTest.OwnTopic.class)
@WithTestResource(KafkaBrokerResource.class)
class VerifyTest {

    /** Its own app, broker, folders and topic: verify checks a whole outbox, so no other test's files may be in it. */
    public static class OwnTopic implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.topic", "ferry-verify-test");
        }
    }

    @Inject
    FerryConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    record Run(int status, String out) {
    }

    Run verify(String... extra) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String[] args = new String[6 + extra.length];
        args[0] = "--outbox";
        args[1] = config.consumer().outbox().orElseThrow().toString();
        args[2] = "--bootstrap-server";
        args[3] = bootstrap;
        args[4] = "--topic";
        args[5] = config.topics().topic();
        System.arraycopy(extra, 0, args, 6, extra.length);
        int status = VerifyCommand.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aCorrectOutboxIsCleanAndEveryKindOfDamageIsReportedWithANonZeroExit() throws Exception {
        Path inbox = config.producer().inbox().orElseThrow();
        Path outbox = config.consumer().outbox().orElseThrow();
        int chunk = config.topics().chunkBytes();
        Map<String, Path> sent = new LinkedHashMap<>();
        long[] sizes = { 0, 1, chunk + 1, 3L * chunk, 5000 };
        for (int i = 0; i < sizes.length; i++) {
            String name = "v/f" + i + ".bin";
            sent.put(name, TestFiles.randomAtomically(inbox.resolve(name), sizes[i], 500 + i));
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> verify().out().contains("sent 5, identical 5,"));
        Run clean = verify();
        assertThat(clean.out()).contains("sent 5, identical 5, missing 0, mismatched 0, duplicates 0, extra 0")
                .contains("no receipt 0").contains("OK: the outbox holds exactly what was sent");
        assertThat(verify("--receipts-only").status()).as("receipts alone agree").isEqualTo(VerifyCommand.CLEAN);

        // Not differences, each named as a user reads it: the same content sent twice to one path, and an attempt
        // its producer gave up on (a chunk, then an abort).
        byte[] same = "the same words\n".getBytes(StandardCharsets.UTF_8);
        byte[] sameSha = MessageDigest.getInstance("SHA-256").digest(same);
        String abandonedId = "0123456789abcdef0123456789abcdef";
        try (var companion = new KafkaCompanion(bootstrap)) {
            List<FerryRecord> records = List.of(
                    new Chunk("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", 0, "v/again.txt", 0, 1, 0, same.length, 0, 0644, same,
                            sameSha),
                    new Chunk("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2", 0, "v/again.txt", 0, 1, 0, same.length, 0, 0644, same,
                            sameSha),
                    new Chunk(abandonedId, 0, "v/changing.log", 0, 2, 0, 2048, 0, 0644, new byte[1024], null),
                    new Abort(abandonedId, 0, "v/changing.log", "the file changed while it was sent"));
            for (FerryRecord r : records) {
                companion.produce(Serdes.String(), Serdes.ByteArray())
                        .fromRecords(new ProducerRecord<>(config.topics().topic(), null, r.transferId(),
                                WireFormat.valueOf(r), WireFormat.headersOf(r)))
                        .awaitCompletion();
            }
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> verify().out().contains("re-sent identical copies 1"));
        Run explained = verify();
        assertThat(explained.status()).as(explained.out()).isEqualTo(VerifyCommand.CLEAN);
        assertThat(explained.out()).contains("sent 7, identical 6,").contains("abandoned attempts 1")
                .containsPattern("re-sent identical copy +v/again.txt  \\(transfer aaa+1, sent again as aaa+2\\)")
                .containsPattern("abandoned attempt +v/changing.log .*1 of 2 chunks in the topic, then aborted")
                .doesNotContain("REPLACED").doesNotContain("UNFINISHED");
        Run help = verify("--help");
        assertThat(help.out()).contains("re-sent identical copy    the same content was sent again")
                .contains("* missing ");

        Files.delete(outbox.resolve("v/f1.bin"));
        Files.writeString(outbox.resolve("v/f4.bin"), "tampered");
        Files.copy(outbox.resolve("v/f2.bin"), outbox.resolve("v/f2 (2).bin"));
        Files.writeString(outbox.resolve("v/stranger.txt"), "nobody sent me");
        // A record the consumer refuses (a name no file system should show as is): sent, never to arrive.
        Chunk refused = new Chunk("abcdef0123456789abcdef0123456789", 0, "v/back\\slash.bin", 0, 1, 0, 3, 0, 0644,
                new byte[3], new byte[32]);
        try (var companion = new KafkaCompanion(bootstrap)) {
            companion.produce(Serdes.String(), Serdes.ByteArray())
                    .fromRecords(new ProducerRecord<>(config.topics().topic(), null, refused.transferId(),
                            refused.data(), WireFormat.headersOf(refused)))
                    .awaitCompletion();
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> verify().out().contains("dead-lettered 1"));

        Run damaged = verify();
        assertThat(damaged.status()).isEqualTo(VerifyCommand.DIFFERENCES);
        assertThat(damaged.out()).contains("sent 7, identical 4, missing 1, mismatched 1, duplicates 1, extra 1")
                .containsPattern("missing +v/f1.bin").containsPattern("mismatched +v/f4.bin")
                .containsPattern("delivered twice +v/f2 \\(2\\).bin  \\(same content as v/f2.bin\\)")
                .containsPattern("extra +v/stranger.txt")
                .containsPattern("dead-lettered +\"v/back\\\\slash.bin\" .*path contains a backslash")
                .contains("DIFFERENCES FOUND");
    }

    @Test
    void badArgumentsAndAnUnreachableClusterAreToldApart() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stream = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(VerifyCommand.run(new String[] { "--bogus" }, Map.of(), stream, stream))
                .isEqualTo(VerifyCommand.USAGE);
        assertThat(VerifyCommand.run(new String[0], Map.of("KAFKA_BOOTSTRAP_SERVERS", "x:1"), stream, stream))
                .isEqualTo(VerifyCommand.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--outbox (or FERRY_OUTBOX) is required");
        assertThat(
                VerifyCommand.run(
                        new String[] { "--outbox", config.consumer().outbox().orElseThrow().toString(),
                                "--bootstrap-server", "127.0.0.1:1", "--timeout-seconds", "2" },
                        Map.of(), stream, stream)).isEqualTo(VerifyCommand.CANNOT_CHECK);
    }
}
