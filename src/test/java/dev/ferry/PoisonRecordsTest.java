package dev.ferry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;

import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.receipt.KafkaReceipts;
import dev.ferry.testing.Http;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.OpenFiles;
import dev.ferry.testing.TestFiles;
import dev.ferry.testing.TopicReader;

/**
 * Records written to Ferry's topics by anyone holding Kafka credentials, each as the hostile input it is (a foreign
 * Kafka client): every one fails itself only. The consumer stays live, later good files arrive byte-identical, and the
 * bad record ends in the dead-letter topic with its reason (or, where it is not the record's fault, as a failed
 * receipt).
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(PoisonRecordsTest.OwnConsumer.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoisonRecordsTest {

    /** Good files sent so far by the class (JUnit makes an instance per test). */
    static int goodFiles;

    /**
     * Its own application and broker: what these tests leave behind (a consumer at its cap of unfinished transfers)
     * must not reach the next test class, as it did when it shared one.
     */
    public static class OwnConsumer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ferry.max-unfinished-transfers", "1000");
        }
    }

    @Inject
    FerryConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/")
    URL base;

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
    @Order(1)
    void chunksThatClaimTheImpossibleAreDeadLetteredAndNoPartitionStops() throws Exception {
        long tib16 = 16L << 40;
        List<ProducerRecord<String, byte[]>> hostile = List.of(
                // ENAMETOOLONG before: retried forever, every partition of the consumer stopped
                record(chunk(id(1), "d".repeat(300) + "/x.bin", 0, 1, 0, 10, new byte[10], new byte[32])),
                // EFBIG before: a 16 TiB file (in chunks of 512 KiB, as large as the topic takes)
                record(chunk(id(2), "huge.bin", 0, 1 << 25, 0, tib16, new byte[512 * 1024], null)),
                // offset + length overflows: passed "offset + length > size" before
                record(chunk(id(3), "wrap.bin", 1, 3, Long.MAX_VALUE - 10, Long.MAX_VALUE, new byte[1024], null)),
                // 100 bytes claiming 2^31-1 chunks: 256 MiB of bit set before (OutOfMemoryError at -Xmx256m)
                record(chunk(id(4), "count.bin", 0, Integer.MAX_VALUE, 0, Long.MAX_VALUE, new byte[100], null)),
                record(chunk(id(5), "tab\there.bin", 0, 1, 0, 1, new byte[1], new byte[32])),
                record(chunk(id(6), "invoice\u202Efdp.exe", 0, 1, 0, 1, new byte[1], new byte[32])));
        companion.produce(Serdes.String(), Serdes.ByteArray()).fromRecords(hostile).awaitCompletion();

        Map<String, ConsumerRecord<String, byte[]>> dead = deadLetters(hostile.size());
        assertThat(reason(dead.get(id(1)))).contains("segment of 300 bytes, longer than 255");
        assertThat(reason(dead.get(id(2)))).contains("more than this consumer takes (ferry.max-file-size");
        assertThat(reason(dead.get(id(3)))).contains("does not fit ferry-size");
        assertThat(reason(dead.get(id(4)))).contains("every chunk but the last has at least 1024");
        assertThat(reason(dead.get(id(5)))).contains("control character");
        assertThat(reason(dead.get(id(6)))).contains("bidirectional control");
        assertThat(header(dead.get(id(2)), "dead-letter-category")).isEqualTo("invalid-record");
        assertThat(header(dead.get(id(1)), "dead-letter-topic")).isEqualTo(config.topics().topic());

        assertGoodFilesStillArrive(8);
        assertThat(Http.get(base, "/q/health/live").statusCode()).isEqualTo(200);
        assertThat(Http.get(base, "/q/metrics").body())
                .containsPattern("ferry_dead_letters_total\\{reason=\"invalid-record\"} [1-9]");
        assertReceipt(id(2), "FAILED", "a record was refused");
    }

    @Test
    @Order(2)
    void aRefusedRecordTooLargeForTheDeadLetterTopicKeepsItsHeadersAndTheChannelLives() throws Exception {
        String dlq = config.topics().deadLetterTopicName();
        alterMaxMessageBytes(dlq, "16384");
        try {
            byte[] big = new byte[100 * 1024];
            new Random(3).nextBytes(big);
            companion.produce(Serdes.String(), Serdes.ByteArray())
                    .fromRecords(new ProducerRecord<>(config.topics().topic(), id(20), big)).awaitCompletion();
            ConsumerRecord<String, byte[]> dead = deadLetters(1).get(id(20));
            assertThat(header(dead, "dead-letter-value-dropped")).isEqualTo("102400");
            assertThat(reason(dead)).contains("missing header ferry-version");
            assertGoodFilesStillArrive(2);
        } finally {
            alterMaxMessageBytes(dlq, Integer.toString(WireFormat.maxRecordBytes(WireFormat.MAX_CHUNK_BYTES)));
        }
    }

    @Test
    @Order(3)
    void thousandsOfJunkMiddleChunksCostNoStall() throws Exception {
        List<ProducerRecord<String, byte[]>> junk = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            junk.add(record(chunk(id(100_000 + i), "junk/" + i, 1, 3, 1024, 3072, new byte[1024], null)));
        }
        long start = System.nanoTime();
        companion.produce(Serdes.String(), Serdes.ByteArray()).fromRecords(junk).awaitCompletion();
        // Written after the junk, on every partition: each waits behind its share of it.
        assertGoodFilesStillArrive(8);
        System.out.printf("3000 junk middle chunks, then 8 good files delivered: %d ms%n",
                (System.nanoTime() - start) / 1_000_000);
        // Each junk transfer still gets its failed receipt (a real producer would send it again), written in batches.
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertReceipt(id(100_000 + 2999), "FAILED", "without the transfer's first"));
    }

    @Test
    @Order(4)
    void oversizedAndForeignRecordsInTheReceiptsTopicAreSkipped() throws Exception {
        String receiptsTopic = config.topics().receiptsTopicName();
        List<ProducerRecord<String, String>> hostile = new ArrayList<>();
        String padding = "x".repeat(900_000);
        for (int i = 0; i < 40; i++) {
            hostile.add(new ProducerRecord<>(receiptsTopic, id(200 + i), "{\"v\":1,\"pad\":\"" + padding + "\"}"));
        }
        hostile.add(new ProducerRecord<>(receiptsTopic, "../not-an-id", "{}"));
        hostile.add(new ProducerRecord<>(receiptsTopic, id(250),
                "{\"v\":1,\"transfer\":\"" + id(251) + "\",\"outcome\":\"DELIVERED\"}"));
        companion.produce(Serdes.String(), Serdes.String()).fromRecords(hostile).awaitCompletion();

        assertGoodFilesStillArrive(2);
        // What a restart would do: read the whole topic again, at a bounded cost.
        Map<String, Object> kafka = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaReceipts fresh = new KafkaReceipts(kafka, receiptsTopic, "poison-test", false, id -> false,
                Duration.ofSeconds(30))) {
            fresh.refresh();
            assertThat(fresh.skipped()).isGreaterThanOrEqualTo(42);
            assertThat(fresh.find(id(251))).as("a receipt under another transfer's key").isEmpty();
            assertThat(fresh.isFinal(id(250))).isFalse();
        }
    }

    @Test
    @Order(5)
    void unfinishedTransfersAreCappedAndOpenFilesStayBounded() throws Exception {
        List<ProducerRecord<String, byte[]>> firsts = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            firsts.add(record(chunk(id(300_000 + i), "never/" + i, 0, 3, 0, 3072, new byte[1024], null)));
        }
        companion.produce(Serdes.String(), Serdes.ByteArray()).fromRecords(firsts).awaitCompletion();

        int cap = config.consumer().maxUnfinishedTransfers();
        await().atMost(Duration.ofSeconds(60))
                .untilAsserted(() -> assertThat(Http.get(base, "/q/metrics").body())
                        .contains("ferry_unfinished_transfers " + cap + ".0")
                        .containsPattern("ferry_transfers_refused_total\\{reason=\"capacity\"} [1-9]"));
        Path staging = config.consumer().outbox().orElseThrow().resolve(".ferry/staging").toRealPath();
        long open = OpenFiles.under(staging);
        System.out.printf("1500 transfers whose rest never comes: %d unfinished (cap %d), %d staging files open%n", cap,
                cap, open);
        assertThat(open).isLessThanOrEqualTo(64);
        assertThat(Http.get(base, "/q/health/live").statusCode()).isEqualTo(200);
        // Which 500 are refused depends on how the partitions interleave; each of them gets one failed receipt.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(latestReceipts().values())
                .filteredOn(v -> v.contains("ferry.max-unfinished-transfers")).hasSize(500));
        // Files of one chunk are never refused for capacity.
        Path small = TestFiles.randomAtomically(config.producer().inbox().orElseThrow().resolve("after-cap.bin"), 4000,
                77);
        Path delivered = config.consumer().outbox().orElseThrow().resolve("after-cap.bin");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(delivered).exists());
        assertThat(TestFiles.sha256(delivered)).isEqualTo(TestFiles.sha256(small));
    }

    @Test
    @Order(6)
    void theLiveFeedStaysSmallAndListsTheDeadLettersWithThousandsInFlight() {
        // After the capacity test the consumer holds 1000 unfinished transfers.
        String now = Http.get(base, "/api/live/now").body();
        System.out.printf("Live snapshot with 1000+ transfers in flight: %d bytes%n", now.length());
        assertThat(now).contains("\"inFlightTotal\":10").contains("\"capacity\":{\"unfinished\":1000,\"max\":1000");
        assertThat(now.length()).as("one snapshot, twice a second").isLessThan(64 * 1024);
        assertThat(Http.get(base, "/api/live/dead-letters").body()).contains("segment of 300 bytes")
                .contains("\"category\":\"invalid-record\"");
    }

    @Test
    @Order(7)
    void namesTheConsumerWouldRefuseFailOnTheProducerAndSymlinksAndFifosAreListedAsSkipped() throws Exception {
        Path inbox = config.producer().inbox().orElseThrow();
        Path odd = Files.createDirectories(inbox.resolve("odd"));
        // Linux allows all of these; before, the backslash and TAB names showed "sent" at 100% forever.
        for (String name : List.of("back\\slash.txt", "tab\there.txt", "invoice\u202Efdp.exe", "c1\u0085.txt")) {
            Files.writeString(odd.resolve(name), "odd");
        }
        Files.createSymbolicLink(odd.resolve("link.txt"), Path.of("/etc/hostname"));
        Process mkfifo = new ProcessBuilder("mkfifo", odd.resolve("pipe").toString()).start();
        assertThat(mkfifo.waitFor()).isZero();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String failed = Http.get(base, "/api/transfers?side=producer&state=failed&size=500").body();
            assertThat(failed).containsPattern("control character: .{1,3}odd/c1")
                    .contains("not sent: path contains a backslash")
                    .contains("not sent: path contains a control character")
                    .contains("not sent: path contains a bidirectional control character");
            String skipped = Http.get(base, "/api/transfers?side=producer&state=skipped&size=500").body();
            assertThat(skipped).contains("odd/link.txt").contains("a symlink (never followed").contains("odd/pipe")
                    .contains("FIFO");
            assertThat(Http.get(base, "/q/metrics").body()).containsPattern(
                    "ferry_files_total\\{outcome=\"failed\",route=\"default\",side=\"producer\"} [4-9]");
        });
    }

    private void assertGoodFilesStillArrive(int n) throws Exception {
        Path inbox = config.producer().inbox().orElseThrow();
        Path outbox = config.consumer().outbox().orElseThrow();
        Map<String, String> sent = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String name = "good/" + (goodFiles++) + ".bin";
            // More than one chunk (512K), so each is a real transfer, spread over the partitions by its id.
            Path file = TestFiles.randomAtomically(inbox.resolve(name), 600_000 + i, goodFiles);
            sent.put(name, TestFiles.sha256(file));
        }
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            for (Map.Entry<String, String> e : sent.entrySet()) {
                Path delivered = outbox.resolve(e.getKey());
                assertThat(delivered).exists();
                assertThat(TestFiles.sha256(delivered)).isEqualTo(e.getValue());
            }
        });
    }

    private void assertReceipt(String transfer, String outcome, String reason) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(latestReceipts().get(transfer))
                .contains("\"outcome\":\"" + outcome + "\"").contains(reason));
    }

    private Map<String, String> latestReceipts() {
        Map<String, String> latest = new HashMap<>();
        TopicReader.forEach(bootstrap, config.topics().receiptsTopicName(),
                r -> latest.put(r.key(), r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8)));
        return latest;
    }

    private Map<String, ConsumerRecord<String, byte[]>> deadLetters(int atLeast) {
        Map<String, ConsumerRecord<String, byte[]>> byKey = new HashMap<>();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            TopicReader.forEach(bootstrap, config.topics().deadLetterTopicName(), r -> byKey.put(r.key(), r));
            assertThat(byKey).hasSizeGreaterThanOrEqualTo(atLeast);
        });
        return byKey;
    }

    private void alterMaxMessageBytes(String topic, String value) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.incrementalAlterConfigs(Map.of(resource,
                    List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, value),
                            AlterConfigOp.OpType.SET))))
                    .all().get();
        }
    }

    static String id(int n) {
        return String.format("feed%028x", n);
    }

    /** A chunk whose headers are exactly what it claims, however impossible; the CRC is right. */
    static Chunk chunk(String id, String path, int index, int count, long offset, long size, byte[] data, byte[] sha) {
        return new Chunk(id, 0, path, index, count, offset, size, 0, 0644, data, sha);
    }

    ProducerRecord<String, byte[]> record(Chunk c) {
        Headers headers = WireFormat.headersOf(c);
        return new ProducerRecord<>(config.topics().topic(), null, c.transferId(), c.data(), headers);
    }

    static String reason(ConsumerRecord<String, byte[]> r) {
        return header(r, "dead-letter-reason");
    }

    static String header(ConsumerRecord<String, byte[]> r, String name) {
        assertThat(r).as("dead letter").isNotNull();
        Header h = r.headers().lastHeader(name);
        return h == null ? "<no " + name + ">" : new String(h.value(), StandardCharsets.UTF_8);
    }
}
