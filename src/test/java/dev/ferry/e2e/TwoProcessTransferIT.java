package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.InvalidRecordException;
import dev.ferry.chunk.WireFormat;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestFiles;
import dev.ferry.testing.TopicReader;

/**
 * The packaged application as two separate processes, producer and consumer, against a real broker. The large file is
 * throttled to take longer than the connector's 60 s age limit for unacknowledged records, which Ferry's held
 * acknowledgement would trip if the limit were on; meanwhile the committed offset must stay at or before the file's
 * first record (the safe offset), and move to the end once it is delivered.
 */
class TwoProcessTransferIT {

    static final String TOPIC = "ferry-chunks";
    static final String GROUP = "ferry-e2e";
    static final long BIG = 36L << 20;
    static final String RATE = "512K"; // 36 MiB at 512 KiB/s: 72 s, past the 60 s limit with room to check at 65 s

    static KafkaBroker broker;
    static Path root;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start();
        root = Files.createTempDirectory("ferry-e2e");
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void aFileSlowerThanTheAckAgeLimitMovesBetweenTwoProcessesAndOffsetsStaySafe() throws Exception {
        Path inbox = Files.createDirectories(root.resolve("inbox"));
        Path outbox = root.resolve("outbox");
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "3",
                "FERRY_SETTLE_TIME", "500ms");
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR",
                root.resolve("p-state").toString(), "FERRY_RATE_LIMIT", RATE));
        Map<String, String> consumerEnv = new HashMap<>(common);
        consumerEnv.putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR",
                root.resolve("c-state").toString(), "FERRY_GROUP_ID", GROUP, "FERRY_INSTANCE_ID", "e2e-consumer-0"));
        producerEnv.put("FERRY_PROGRESS_INTERVAL", "10s");
        consumerEnv.put("FERRY_PROGRESS_INTERVAL", "10s");

        Path logs = Path.of("target", "e2e-logs");
        try (FerryProcess producer = FerryProcess.start("producer", producerEnv, logs.resolve("producer.log"),
                "-Xmx128m");
                FerryProcess consumer = FerryProcess.start("consumer", consumerEnv, logs.resolve("consumer.log"),
                        "-Xmx128m")) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);

            Map<String, String> expected = new LinkedHashMap<>();
            for (int i = 0; i < 5; i++) {
                Path small = TestFiles.randomAtomically(inbox.resolve("small/s" + i + ".bin"), 1000L * i, i);
                expected.put("small/s" + i + ".bin", TestFiles.sha256(small));
            }
            Path big = TestFiles.randomAtomically(inbox.resolve("big/slow.bin"), BIG, 99);
            expected.put("big/slow.bin", TestFiles.sha256(big));
            long started = System.nanoTime();

            // Mid-transfer, past the 60 s age limit: the big file is not delivered, and no committed offset has
            // passed its first record.
            await().atMost(Duration.ofSeconds(120)).pollDelay(Duration.ofSeconds(65)).until(() -> true);
            assertThat(outbox.resolve("big/slow.bin")).as("throttled file still in flight at 65 s").doesNotExist();
            assertThat(consumer.isAlive()).isTrue();
            assertThat(consumer.get("/q/health/live")).as("consumer channel healthy past the age limit").isEqualTo(200);
            Map.Entry<TopicPartition, Long> bigFirst = firstRecordOf("big/slow.bin");
            TopicPartition bigPartition = bigFirst.getKey();
            long bigFirstOffset = bigFirst.getValue();
            OffsetAndMetadata committed = committed().get(bigPartition);
            assertThat(committed == null ? 0 : committed.offset())
                    .as("committed offset never passes the first record " + "of an undelivered file")
                    .isLessThanOrEqualTo(bigFirstOffset);

            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                for (Map.Entry<String, String> e : expected.entrySet()) {
                    Path delivered = outbox.resolve(e.getKey());
                    assertThat(delivered).as(e.getKey()).exists();
                    assertThat(TestFiles.sha256(delivered)).as(e.getKey()).isEqualTo(e.getValue());
                }
            });
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertThat(seconds).as("the transfer really took longer than the 60 s age limit").isGreaterThan(60);

            // Everything delivered: the commit catches up with the end of every partition.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(lag()).isZero());

            // The producer learns of each delivery from its receipt.
            await().atMost(Duration.ofSeconds(30)).until(() -> ProcessLog.records(producer.log()).stream()
                    .filter(r -> r.path("mdc").has("outcome")).count() == expected.size());

            // A graceful stop: the JVM reports SIGTERM as 143 after the shutdown hooks ran; -1 would mean killed.
            assertThat(consumer.stop(Duration.ofSeconds(30))).as("consumer exit code after SIGTERM").isEqualTo(143);
            assertThat(producer.stop(Duration.ofSeconds(30))).as("producer exit code after SIGTERM").isEqualTo(143);
        }
        String consumerLog = ProcessLog.text(logs.resolve("consumer.log"));
        assertThat(consumerLog).contains("big/slow.bin").contains("stopped in").doesNotContain("SRMSG18231");
        assertLogsTellTheTransfers(logs.resolve("producer.log"), "producer", "sending");
        assertLogsTellTheTransfers(logs.resolve("consumer.log"), "consumer", "assembling");
    }

    /**
     * The role profiles log as in production: every line a JSON object; one outcome line per file with id, path, size,
     * duration and rate (in the message and as fields); the transfer id in the MDC of every line that names a transfer;
     * and progress lines for the long transfer at ferry.progress-interval, advancing.
     */
    private static void assertLogsTellTheTransfers(Path log, String side, String moving) {
        List<JsonNode> records = ProcessLog.records(log);
        assertThat(records).as(side + " log lines").hasSizeGreaterThan(20);

        List<JsonNode> outcomes = records.stream().filter(r -> r.path("mdc").has("outcome")).toList();
        assertThat(outcomes).as(side + ": one outcome line per file").hasSize(6)
                .allSatisfy(r -> assertThat(r.get("mdc").get("outcome").asText()).isEqualTo("delivered"));
        assertThat(outcomes.stream().map(r -> r.get("mdc").get("path").asText())).containsExactlyInAnyOrder(
                "small/s0.bin", "small/s1.bin", "small/s2.bin", "small/s3.bin", "small/s4.bin", "big/slow.bin");
        JsonNode big = outcomes.stream().filter(r -> r.get("mdc").get("path").asText().equals("big/slow.bin"))
                .findFirst().orElseThrow();
        String id = big.get("mdc").get("transferId").asText();
        assertThat(big.get("mdc").get("bytes").asLong()).isEqualTo(BIG);
        assertThat(big.get("mdc").get("durationMs").asLong()).as("the big file took over a minute")
                .isGreaterThan(60_000);
        assertThat(big.get("mdc").get("bytesPerSecond").asLong()).isBetween(100_000L, 1_000_000L);
        assertThat(big.get("message").asText()).startsWith("Transfer " + id + " (big/slow.bin): delivered [" + side)
                .contains(BIG + " bytes in ").contains("MB/s").contains("sha256 ");

        for (JsonNode r : records) {
            Matcher m = Pattern.compile("^Transfer (\\S+) \\(").matcher(r.get("message").asText());
            if (m.find()) {
                assertThat(r.path("mdc").path("transferId").asText()).as("MDC of: " + r.get("message").asText())
                        .isEqualTo(m.group(1));
            }
        }

        List<Long> percents = new ArrayList<>();
        Pattern progress = Pattern.compile("^Transfer " + Pattern.quote(id) + " \\(big/slow.bin\\): " + moving
                + ", (\\d+)% \\(\\d+ of " + BIG + " bytes, \\d+ of \\d+ chunks\\) after \\d+ s, [\\d.]+ MB/s");
        for (JsonNode r : records) {
            Matcher m = progress.matcher(r.get("message").asText());
            if (m.find()) {
                percents.add(Long.parseLong(m.group(1)));
            }
        }
        assertThat(percents).as(side + ": progress lines of the 72 s transfer, every 10 s")
                .hasSizeGreaterThanOrEqualTo(4).isSorted();
        assertThat(percents.get(percents.size() - 1)).isGreaterThan(percents.get(0));
    }

    @Test
    void aProducerStoppedMidFileResumesFromItsAcknowledgedChunksAndDeletesTheSourceOnlyAfterTheReceipt()
            throws Exception {
        Path dir = Files.createTempDirectory(root, "restart");
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path outbox = dir.resolve("outbox");
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(), "FERRY_TOPIC",
                "ferry-restart", "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS",
                "3", "FERRY_SETTLE_TIME", "500ms");
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR", dir.resolve("p").toString(),
                "FERRY_RATE_LIMIT", "4M", "FERRY_SOURCE_POLICY", "delete"));
        Map<String, String> consumerEnv = new HashMap<>(common);
        consumerEnv.putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR", dir.resolve("c").toString(),
                "FERRY_GROUP_ID", "ferry-restart", "FERRY_INSTANCE_ID", "restart-consumer-0"));
        Path logs = Path.of("target", "e2e-logs");
        Path consumerLog = logs.resolve("restart-consumer.log");
        try (FerryProcess consumer = FerryProcess.start("consumer", consumerEnv, consumerLog, "-Xmx128m")) {
            Path file = TestFiles.randomAtomically(inbox.resolve("restart.bin"), 40L << 20, 77);
            String sha = TestFiles.sha256(file);
            try (FerryProcess producer = FerryProcess.start("producer", producerEnv,
                    logs.resolve("restart-producer-1.log"), "-Xmx128m")) {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> ProcessLog.text(consumerLog).contains("(restart.bin): assembling"));
                long stopping = System.nanoTime();
                assertThat(producer.stop(Duration.ofSeconds(30))).as("graceful exit on SIGTERM").isEqualTo(143);
                assertThat(Duration.ofNanos(System.nanoTime() - stopping)).isLessThan(Duration.ofSeconds(30));
            }
            Matcher paused = Pattern.compile("attempt 0 paused at chunk (\\d+)")
                    .matcher(ProcessLog.text(logs.resolve("restart-producer-1.log")));
            assertThat(paused.find()).as("the stopping producer records how far it got").isTrue();
            int resumeAt = Integer.parseInt(paused.group(1));
            assertThat(resumeAt).isPositive();
            assertThat(outbox.resolve("restart.bin")).as("never delivered torn").doesNotExist();
            assertThat(file).as("the source stays until the consumer's receipt").exists();

            Path producer2Log = logs.resolve("restart-producer-2.log");
            try (FerryProcess producer = FerryProcess.start("producer", producerEnv, producer2Log, "-Xmx128m")) {
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                    assertThat(outbox.resolve("restart.bin")).exists();
                    assertThat(TestFiles.sha256(outbox.resolve("restart.bin"))).isEqualTo(sha);
                });
                await().atMost(Duration.ofSeconds(30)).untilAsserted(
                        () -> assertThat(file).as("deleted once the receipt says delivered").doesNotExist());
                producer.stop(Duration.ofSeconds(30));
            }
            String log2 = ProcessLog.text(producer2Log);
            assertThat(log2).contains("(restart.bin): resuming attempt 0 at chunk " + resumeAt)
                    .contains("(restart.bin): delivered [producer]")
                    .contains("; by restart-consumer-0 as restart.bin; source deleted").doesNotContain("attempt 1");
            Map<Integer, Integer> sends = chunkIndexCounts("ferry-restart", "restart.bin");
            assertThat(sends.keySet()).as("every chunk in the topic").hasSize(80);
            for (int i = 0; i < resumeAt; i++) {
                assertThat(sends.get(i)).as("chunk " + i + " is before the resume point: sent once").isEqualTo(1);
            }
            try (var files = Files.list(outbox)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(".ferry",
                        "restart.bin");
            }
            consumer.stop(Duration.ofSeconds(30));
        }
    }

    /** How often each chunk index of {@code path} is in {@code topic}. */
    private Map<Integer, Integer> chunkIndexCounts(String topic, String path) {
        Map<Integer, Integer> counts = new HashMap<>();
        TopicReader.forEach(broker.bootstrapServers(), topic, r -> {
            if (decode(r) instanceof Chunk c && c.path().equals(path)) {
                counts.merge(c.index(), 1, Integer::sum);
            }
        });
        return counts;
    }

    /** Where the first record of {@code path} is: the committed offset must never pass it before delivery. */
    private Map.Entry<TopicPartition, Long> firstRecordOf(String path) {
        List<Map.Entry<TopicPartition, Long>> found = new ArrayList<>();
        TopicReader.forEach(broker.bootstrapServers(), TOPIC, r -> {
            if (found.isEmpty() && decode(r) instanceof Chunk c && c.path().equals(path)) {
                found.add(Map.entry(new TopicPartition(r.topic(), r.partition()), r.offset()));
            }
        });
        if (found.isEmpty()) {
            throw new AssertionError("no record of " + path + " in " + TOPIC);
        }
        return found.get(0);
    }

    private static FerryRecord decode(ConsumerRecord<String, byte[]> r) {
        try {
            return WireFormat.decode(r.key(), r.headers(), r.value());
        } catch (InvalidRecordException e) {
            throw new AssertionError("unreadable record " + r.topic() + "-" + r.partition() + "@" + r.offset(), e);
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> committed() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            return admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get();
        }
    }

    private long lag() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions()
                    .forEach(p -> latest.put(new TopicPartition(TOPIC, p.partition()), OffsetSpec.latest()));
            AtomicLong lag = new AtomicLong();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> {
                OffsetAndMetadata c = committed.get(tp);
                lag.addAndGet(info.offset() - (c == null ? 0 : c.offset()));
            });
            return lag.get();
        }
    }
}
