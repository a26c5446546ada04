package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ferry.chunk.WireFormat;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestFiles;
import dev.ferry.testing.TopicReader;
import dev.ferry.trust.SealingKey;

/**
 * End-to-end encryption as an attacker with the broker's disks would see it: a file with a marker inside and in its
 * name moves sealed; afterwards neither the marker nor the name is anywhere in the broker's log segments (chunks,
 * receipts, dead letters). A consumer without the key holds the record with readiness down and delivers once the key is
 * mounted; a flipped byte in a sealed chunk is refused, not staged.
 */
class EncryptedTransferIT {

    static final String MARKER = "PAYROLL-7f3a9c-CONFIDENTIAL";
    static KafkaBroker broker;
    static Path root;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start();
        root = Files.createTempDirectory("ferry-sealed");
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void nothingReadableOfAnEncryptedFileReachesTheBroker() throws Exception {
        Path key = root.resolve("route.aes");
        Files.writeString(key, SealingKey.generate().base64() + "\n");
        Path inbox = Files.createDirectories(root.resolve("inbox"));
        Path outbox = root.resolve("outbox");
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "2",
                "FERRY_SETTLE_TIME", "500ms", "FERRY_COMPRESSION", "auto");
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR", root.resolve("p").toString(),
                "FERRY_ENCRYPTION_KEY", key.toString()));
        Map<String, String> withoutKey = new HashMap<>(common);
        withoutKey.putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR", root.resolve("c").toString(),
                "FERRY_GROUP_ID", "ferry-sealed"));
        Map<String, String> withKey = new HashMap<>(withoutKey);
        withKey.put("FERRY_DECRYPTION_KEYS", key.toString());
        Path logs = Path.of("target", "e2e-logs", "sealed");

        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 1_500_000; i++) {
            text.append(MARKER).append(" employee ").append(i).append(" salary 4200.00 EUR\n");
        }
        String name = "hr/" + MARKER + "-2026.csv";
        Path delivered = outbox.resolve(name);
        String sha;
        String transferId;
        try (FerryProcess producer = FerryProcess.start("producer", producerEnv, logs.resolve("producer.log"))) {
            try (FerryProcess consumer = FerryProcess.start("consumer", withoutKey,
                    logs.resolve("consumer-without-key.log"))) {
                await().atMost(Duration.ofSeconds(90))
                        .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
                Path hidden = Files.createDirectories(inbox.resolve("hr")).resolve(".writing");
                Files.writeString(hidden, text);
                sha = TestFiles.sha256(hidden);
                Files.move(hidden, inbox.resolve(name));
                // The key is not mounted: the record is held, not refused, and readiness says which key.
                await().atMost(Duration.ofSeconds(60)).until(() -> consumer.get("/q/health/ready") == 503);
                assertThat(consumer.body("/q/health/ready")).contains("not among ferry.decryption-keys");
                assertThat(delivered).doesNotExist();
            }
            try (FerryProcess consumer = FerryProcess.start("consumer", withKey, logs.resolve("consumer.log"))) {
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                    assertThat(delivered).exists();
                    assertThat(TestFiles.sha256(delivered)).isEqualTo(sha);
                });
                // A flipped byte in a sealed chunk: refused before a byte of it is staged.
                List<ConsumerRecord<String, byte[]>> chunks = new ArrayList<>();
                TopicReader.forEach(broker.bootstrapServers(), "ferry-chunks", chunks::add);
                ConsumerRecord<String, byte[]> real = chunks.get(0);
                transferId = real.key();
                byte[] flipped = real.value().clone();
                flipped[flipped.length / 2] ^= 1;
                flipped = fixCrc(real, flipped);
                try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(
                        Map.of("bootstrap.servers", broker.bootstrapServers()), new StringSerializer(),
                        new ByteArraySerializer())) {
                    p.send(new ProducerRecord<>("ferry-chunks", real.partition(), real.key(), flipped, real.headers()))
                            .get();
                }
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ProcessLog.text(consumer.log()))
                        .contains("(unopenable), sent to the dead-letter topic"));
                assertThat(consumer.get("/q/health/ready")).isEqualTo(200);
            }
        }
        // The scan sees what is in the clear (the transfer id, a keyed hash, is the record key), so it can fail.
        assertThat(filesContaining(transferId)).as("the scan reads the segments").isNotEmpty();
        List<String> found = filesContaining(MARKER);
        found.addAll(filesContaining("2026.csv"));
        System.out.printf("Broker log dirs scanned for %s and the file's name: found in %s%n", MARKER, found);
        assertThat(found).as("nothing of the file's bytes or name in any log segment").isEmpty();
    }

    private static List<String> filesContaining(String needle) throws IOException {
        List<String> found = new ArrayList<>();
        for (Path dir : broker.logDirs()) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(needle)) {
                        found.add(dir.relativize(f).toString());
                    }
                }
            }
        }
        return found;
    }

    /** The flipped record keeps a valid CRC: the refusal must come from the seal, not from the checksum. */
    private static byte[] fixCrc(ConsumerRecord<String, byte[]> real, byte[] flipped) throws IOException {
        real.headers().remove(WireFormat.CRC_HEADER);
        real.headers().add(WireFormat.CRC_HEADER, ByteBuffer.allocate(4).putInt(WireFormat.crc32c(flipped)).array());
        return flipped;
    }
}
