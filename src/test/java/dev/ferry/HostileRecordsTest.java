package dev.ferry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.ConsumerTask;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;

import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;

/**
 * Records that are not valid Ferry chunks, or that name paths outside the outbox, go to the dead-letter topic with the
 * reason; nothing is written outside the outbox, and the consumer keeps delivering good files.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class HostileRecordsTest {

    static final String ID = "0123456789abcdef0123456789abcdef";

    @Inject
    FerryConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    KafkaCompanion companion;

    @BeforeEach
    void connect() {
        companion = new KafkaCompanion(bootstrap);
    }

    @AfterEach
    void close() {
        companion.close();
    }

    @Test
    void hostileRecordsAreDeadLetteredAndTheNextGoodFileStillArrives() throws Exception {
        Path outbox = config.consumer().outbox().orElseThrow();
        Path outside = Files.createTempDirectory("outside-outbox");
        Files.createDirectories(outbox);
        Files.createSymbolicLink(outbox.resolve("escape"), outside);

        List<ProducerRecord<String, byte[]>> hostile = List.of(chunk(ID, "../evil.txt"),
                chunk(ID.replace('0', '1'), "/tmp/absolute.txt"),
                chunk(ID.replace('0', '2'), "escape/through-symlink.txt"),
                chunk(ID.replace('0', '3'), ".ferry/staging/overwrite.txt"),
                new ProducerRecord<>(config.topics().topic(), "garbage", "not a ferry record".getBytes()));
        companion.produce(Serdes.String(), Serdes.ByteArray()).fromRecords(hostile).awaitCompletion();

        ConsumerTask<String, byte[]> dead = companion.consume(Serdes.String(), Serdes.ByteArray())
                .fromTopics(config.topics().deadLetterTopicName(), hostile.size());
        dead.awaitCompletion(Duration.ofSeconds(60));
        assertThat(dead.getRecords()).hasSize(hostile.size());
        Map<String, String> reasons = new HashMap<>();
        dead.getRecords().forEach(r -> reasons.put(r.key(), reason(r.headers())));
        assertThat(reasons.get(ID)).contains("unsafe ferry-path").contains("'..' segment");
        assertThat(reasons.get(ID.replace('0', '1'))).contains("path is absolute");
        assertThat(reasons.get(ID.replace('0', '2'))).contains("is a symlink");
        assertThat(reasons.get(ID.replace('0', '3'))).contains("reserved folder");
        assertThat(reasons.get("garbage")).contains("missing header ferry-version");

        Path good = TestFiles.randomAtomically(config.producer().inbox().orElseThrow().resolve("after-hostile.bin"),
                12345, 7);
        String sha = TestFiles.sha256(good);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Path delivered = outbox.resolve("after-hostile.bin");
            assertThat(delivered).exists();
            assertThat(TestFiles.sha256(delivered)).isEqualTo(sha);
        });
        try (Stream<Path> escaped = Files.list(outside)) {
            assertThat(escaped).as("files written through the symlink").isEmpty();
        }
        assertThat(outbox.getParent().resolve("evil.txt")).doesNotExist();
        assertThat(Path.of("/tmp/absolute.txt")).doesNotExist();
    }

    private ProducerRecord<String, byte[]> chunk(String id, String path) {
        byte[] data = "payload".getBytes(StandardCharsets.UTF_8);
        // Build valid headers for a harmless path, then swap in the hostile one: only the path is wrong.
        Chunk c = new Chunk(id, 0, "placeholder", 0, 1, 0, data.length, 0, 0644, data, new byte[32]);
        Headers headers = WireFormat.headersOf(c);
        headers.remove(WireFormat.PATH_HEADER);
        headers.add(WireFormat.PATH_HEADER, path.getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(config.topics().topic(), null, id, data, headers);
    }

    private static String reason(Headers headers) {
        Header h = headers.lastHeader("dead-letter-reason");
        return h == null ? "<no dead-letter-reason header>" : new String(h.value(), StandardCharsets.UTF_8);
    }
}
