package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
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
import dev.ferry.testing.ConfigMapVolume;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestFiles;
import dev.ferry.testing.TopicReader;
import dev.ferry.trust.SealingKey;
import dev.ferry.verify.VerifyCommand;

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
        found.addAll(filesContaining(sha)); // receipts show a keyed hash, not the file's SHA-256
        System.out.printf("Broker log dirs scanned for %s, the file's name and its SHA-256: found in %s%n", MARKER,
                found);
        assertThat(found).as("nothing of the file's bytes, name or hash in any log segment").isEmpty();

        // verify cannot check a sealed outbox without the key, and says so; with it, it can.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        String[] args = { "--outbox", outbox.toString(), "--bootstrap-server", broker.bootstrapServers() };
        assertThat(VerifyCommand.run(args, Map.of(), print, print)).isEqualTo(3);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--decryption-keys");
        out.reset();
        assertThat(VerifyCommand.run(args, Map.of("FERRY_DECRYPTION_KEYS", key.toString()), print, print))
                .as(out.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("identical 1");
    }

    /**
     * Keys and compression are per route: one route sealed under its own key and compressed, one in the clear
     * ({@code encryption-key: none}) although the producer has a default key. The sealed route's receipt is matched by
     * its keyed hash (the producer deletes the source only for a receipt that matches), and verify opens it.
     */
    @Test
    void eachRouteHasItsOwnKeyAndCompression() throws Exception {
        Path dir = Files.createDirectories(root.resolve("routes"));
        Path routeKey = dir.resolve("secret.aes");
        Files.writeString(routeKey, SealingKey.generate().base64() + "\n");
        Path defaultKey = dir.resolve("default.aes");
        Files.writeString(defaultKey, SealingKey.generate().base64() + "\n");
        String producerRoutes = "routes:\n"
                + "  - {name: secret, inbox: %s, compression: zstd, encryption-key: %s, source-policy: delete}\n"
                        .formatted(dir.resolve("in/secret"), routeKey)
                + "  - {name: plain, inbox: %s, encryption-key: none}\n".formatted(dir.resolve("in/plain"));
        String consumerRoutes = "routes:\n"
                + "  - {name: secret, outbox: %s, encryption-key: %s}\n".formatted(dir.resolve("out/secret"), routeKey)
                + "  - {name: plain, outbox: %s}\n".formatted(dir.resolve("out/plain"));
        ConfigMapVolume producerFile = new ConfigMapVolume(dir.resolve("p-routes"), "routes.yaml", producerRoutes);
        ConfigMapVolume consumerFile = new ConfigMapVolume(dir.resolve("c-routes"), "routes.yaml", consumerRoutes);
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "2",
                "FERRY_SETTLE_TIME", "500ms", "FERRY_TOPIC", "routed");
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_ROUTES_FILE", producerFile.file().toString(), "FERRY_STATE_DIR",
                dir.resolve("p").toString(), "FERRY_ENCRYPTION_KEY", defaultKey.toString()));
        Map<String, String> consumerEnv = new HashMap<>(common);
        consumerEnv.putAll(Map.of("FERRY_ROUTES_FILE", consumerFile.file().toString(), "FERRY_STATE_DIR",
                dir.resolve("c").toString(), "FERRY_GROUP_ID", "ferry-routed"));
        Path logs = Path.of("target", "e2e-logs", "sealed-routes");
        String text = (MARKER + " a line of text that compresses well\n").repeat(20_000);
        try (FerryProcess producer = FerryProcess.start("producer", producerEnv, logs.resolve("producer.log"));
                FerryProcess consumer = FerryProcess.start("consumer", consumerEnv, logs.resolve("consumer.log"))) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
            for (String route : List.of("secret", "plain")) {
                Path hidden = Files.createDirectories(dir.resolve("in").resolve(route)).resolve(".writing");
                Files.writeString(hidden, text);
                Files.move(hidden, hidden.resolveSibling(route + ".txt"));
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(dir.resolve("out/secret/secret.txt")).hasContent(text);
                assertThat(dir.resolve("out/plain/plain.txt")).hasContent(text);
            });
            // Deleted only for a receipt that matched what was sent: here, by its keyed hash.
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(dir.resolve("in/secret/secret.txt")).doesNotExist());
        }
        List<ConsumerRecord<String, byte[]>> secret = new ArrayList<>();
        TopicReader.forEach(broker.bootstrapServers(), "routed.secret", secret::add);
        List<ConsumerRecord<String, byte[]>> plain = new ArrayList<>();
        TopicReader.forEach(broker.bootstrapServers(), "routed.plain", plain::add);
        String routeKeyId = SealingKey.read(routeKey).keyId();
        long wire = 0;
        for (ConsumerRecord<String, byte[]> r : secret) {
            assertThat(
                    new String(r.headers().lastHeader(WireFormat.SEALING_KEY_HEADER).value(), StandardCharsets.UTF_8))
                            .isEqualTo(routeKeyId);
            wire += r.value().length;
        }
        System.out.printf("Route secret: %d bytes of text sent as %d sealed bytes (zstd); route plain: %d records "
                + "in the clear%n", text.length(), wire, plain.size());
        assertThat(wire).as("compressed before sealing").isLessThan(text.length() / 10);
        assertThat(plain).allSatisfy(r -> assertThat(r.headers().lastHeader(WireFormat.SEALING_KEY_HEADER)).isNull());
        assertThat(new String(plain.get(0).value(), StandardCharsets.UTF_8)).contains(MARKER);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        String[] args = { "--outbox", dir.resolve("out/secret").toString(), "--bootstrap-server",
                broker.bootstrapServers(), "--topic", "routed.secret", "--receipts-topic", "routed-receipts",
                "--decryption-keys", routeKey.toString() };
        assertThat(VerifyCommand.run(args, Map.of(), print, print)).as(out.toString(StandardCharsets.UTF_8)).isZero();
    }

    /**
     * A sealed record whose key the consumer does not have holds its own route only: a file on another route arrives
     * meanwhile, readiness names the key, and once the key is in the mounted folder the held file arrives without a
     * restart.
     */
    @Test
    void aRecordWaitingForItsKeyHoldsOnlyItsRoute() throws Exception {
        Path dir = Files.createDirectories(root.resolve("held"));
        Path routeKey = dir.resolve("secret.aes");
        Files.writeString(routeKey, SealingKey.generate().base64() + "\n");
        Path mounted = Files.createDirectories(dir.resolve("mounted-keys"));
        ConfigMapVolume producerFile = new ConfigMapVolume(dir.resolve("p-routes"), "routes.yaml", "routes:\n"
                + "  - {name: secret, inbox: %s, encryption-key: %s}\n".formatted(dir.resolve("in/secret"), routeKey)
                + "  - {name: plain, inbox: %s}\n".formatted(dir.resolve("in/plain")));
        ConfigMapVolume consumerFile = new ConfigMapVolume(dir.resolve("c-routes"), "routes.yaml",
                "routes:\n" + "  - {name: secret, outbox: %s}\n".formatted(dir.resolve("out/secret"))
                        + "  - {name: plain, outbox: %s}\n".formatted(dir.resolve("out/plain")));
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "2",
                "FERRY_SETTLE_TIME", "500ms", "FERRY_TOPIC", "held", "FERRY_CHUNK_SIZE", "64K");
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_ROUTES_FILE", producerFile.file().toString(), "FERRY_STATE_DIR",
                dir.resolve("p").toString()));
        Map<String, String> consumerEnv = new HashMap<>(common);
        consumerEnv.putAll(Map.of("FERRY_ROUTES_FILE", consumerFile.file().toString(), "FERRY_STATE_DIR",
                dir.resolve("c").toString(), "FERRY_GROUP_ID", "ferry-held", "FERRY_DECRYPTION_KEYS",
                mounted.toString()));
        Path logs = Path.of("target", "e2e-logs", "sealed-held");
        try (FerryProcess producer = FerryProcess.start("producer", producerEnv, logs.resolve("producer.log"));
                FerryProcess consumer = FerryProcess.start("consumer", consumerEnv, logs.resolve("consumer.log"))) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
            String secretSha = TestFiles
                    .sha256(TestFiles.randomAtomically(dir.resolve("in/secret/secret.bin"), 2 << 20, 7));
            await().atMost(Duration.ofSeconds(60)).until(() -> consumer.get("/q/health/ready") == 503);
            assertThat(consumer.body("/q/health/ready")).contains("Records of topic held.secret are held")
                    .contains("not among ferry.decryption-keys");

            String plainSha = TestFiles
                    .sha256(TestFiles.randomAtomically(dir.resolve("in/plain/plain.bin"), 1 << 20, 8));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(
                    () -> assertThat(TestFiles.sha256(dir.resolve("out/plain/plain.bin"))).isEqualTo(plainSha));
            assertThat(dir.resolve("out/secret/secret.bin")).as("its route still waits for the key").doesNotExist();

            Files.copy(routeKey, mounted.resolve("secret.aes"));
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(
                    () -> assertThat(TestFiles.sha256(dir.resolve("out/secret/secret.bin"))).isEqualTo(secretSha));
            await().atMost(Duration.ofSeconds(30)).until(() -> consumer.get("/q/health/ready") == 200);
        }
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
