package dev.ferry.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.WireFormat;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.OpenFiles;
import dev.ferry.testing.TestFiles;

/**
 * The soak of the poison-proof promise: 10,000 hostile records of every kind, written by a foreign client while 200
 * good files move, through one consumer process at {@code -Xmx256m}. Every good file is delivered once, byte-identical;
 * the consumer is never restarted and stays live; heap after a full GC and open descriptors stay bounded (both
 * printed).
 */
class PoisonSoakIT {

    static final String TOPIC = "ferry-chunks";
    static final int HOSTILE = 10_000;
    static final int GOOD = 200;

    static KafkaBroker broker;
    static Path root;

    @BeforeAll
    static void startBroker() throws Exception {
        broker = KafkaBroker.start();
        root = Files.createTempDirectory("ferry-soak");
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void tenThousandHostileRecordsAmongTwoHundredGoodFilesStopNothingAndStayBounded() throws Exception {
        Path inbox = Files.createDirectories(root.resolve("inbox"));
        Path outbox = root.resolve("outbox");
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "4",
                "FERRY_SETTLE_TIME", "500ms");
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv
                .putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR", root.resolve("p-state").toString()));
        Map<String, String> consumerEnv = new HashMap<>(common);
        consumerEnv
                .putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR", root.resolve("c-state").toString(),
                        "FERRY_GROUP_ID", "ferry-soak", "FERRY_INSTANCE_ID", "soak-consumer-0"));

        Path logs = Path.of("target", "soak-logs");
        try (FerryProcess producer = FerryProcess.start("producer", producerEnv, logs.resolve("producer.log"),
                "-Xmx256m");
                FerryProcess consumer = FerryProcess.start("consumer", consumerEnv, logs.resolve("consumer.log"),
                        "-Xmx256m")) {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
            long pid = consumer.pid();
            long started = System.nanoTime();

            Map<String, String> expected = new HashMap<>();
            Random random = new Random(12);
            long maxFds = 0;
            try (KafkaProducer<String, byte[]> hostile = foreignClient()) {
                int sent = 0;
                for (int batch = 0; batch < 20; batch++) {
                    // 500 hostile records, then 10 good files, twenty times over.
                    for (int i = 0; i < HOSTILE / 20; i++, sent++) {
                        hostile.send(hostileRecord(sent, random));
                    }
                    hostile.flush();
                    for (int i = 0; i < GOOD / 20; i++) {
                        String name = "good/" + batch + "/f" + i + ".bin";
                        long size = random.nextInt(4) == 0 ? 1_000_000 + random.nextInt(1_500_000)
                                : random.nextInt(200_000);
                        expected.put(name, TestFiles
                                .sha256(TestFiles.randomAtomically(inbox.resolve(name), size, batch * 100L + i)));
                    }
                    assertThat(consumer.get("/q/health/live")).as("liveness, batch " + batch).isEqualTo(200);
                    maxFds = Math.max(maxFds, OpenFiles.of(pid));
                }
            }

            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                for (Map.Entry<String, String> e : expected.entrySet()) {
                    assertThat(outbox.resolve(e.getKey())).as(e.getKey()).exists();
                }
            });
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            for (Map.Entry<String, String> e : expected.entrySet()) {
                assertThat(TestFiles.sha256(outbox.resolve(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue());
            }
            try (Stream<Path> all = Files.walk(outbox)) {
                List<Path> delivered = all.filter(Files::isRegularFile)
                        .filter(p -> !outbox.relativize(p).startsWith(".ferry")).toList();
                assertThat(delivered).as("each good file once, nothing else").hasSize(GOOD);
            }
            maxFds = Math.max(maxFds, OpenFiles.of(pid));
            long heapAfterGc = heapAfterFullGc(pid);
            System.out.printf(
                    "Soak: %d hostile records and %d good files in %d s; consumer pid %d never restarted; "
                            + "heap after full GC %d MiB (-Xmx256m), open descriptors at most %d%n",
                    HOSTILE, GOOD, seconds, pid, heapAfterGc >> 20, maxFds);
            assertThat(consumer.isAlive()).isTrue();
            assertThat(consumer.pid()).isEqualTo(pid);
            assertThat(consumer.get("/q/health/live")).isEqualTo(200);
            assertThat(heapAfterGc).as("heap after a full GC").isLessThan(160L << 20);
            assertThat(maxFds).as("open descriptors").isLessThan(400);
            String metrics = consumer.body("/q/metrics");
            // Nine of the twelve kinds are refused on the wire: 4 x 834 + 5 x 833. The 833 first chunks whose rest
            // never comes are held (under the cap of 1000); junk middle chunks and forged aborts are acknowledged.
            assertThat(metrics).contains("ferry_dead_letters_total{reason=\"invalid-record\"} 7501.0")
                    .contains("ferry_unfinished_transfers 833.0").contains("ferry_unfinished_transfers_max 1000.0");
            assertThat(consumer.stop(Duration.ofSeconds(30))).isEqualTo(143);
            assertThat(producer.stop(Duration.ofSeconds(30))).isEqualTo(143);
        }
    }

    /** One of every kind of hostile record, in turn. */
    static ProducerRecord<String, byte[]> hostileRecord(int n, Random random) {
        String id = String.format("bad%029x", n);
        byte[] kb = new byte[1024];
        random.nextBytes(kb);
        return switch (n % 12) {
            case 0 -> new ProducerRecord<>(TOPIC, "garbage-" + n, kb); // no headers at all
            case 1 -> chunk(id, "../escape-" + n, 0, 1, 0, 10, new byte[10], new byte[32]);
            case 2 -> chunk(id, "d".repeat(300) + "/x", 0, 1, 0, 10, new byte[10], new byte[32]);
            case 3 -> chunk(id, "back\\slash-" + n, 0, 1, 0, 10, new byte[10], new byte[32]);
            case 4 -> chunk(id, "wrap", 1, 3, Long.MAX_VALUE - 10, Long.MAX_VALUE, kb, null);
            case 5 -> chunk(id, "count", 0, Integer.MAX_VALUE, 0, Long.MAX_VALUE, new byte[100], null);
            case 6 -> chunk(id, "huge", 0, 1 << 25, 0, 16L << 40, new byte[512 * 1024], null);
            case 7 -> chunk(id, "junk/middle-" + n, 1, 3, 1024, 3072, kb, null); // start never seen
            case 8 -> chunk(id, "never/" + n, 0, 3, 0, 3072, kb, null); // rest never comes
            case 9 -> abort(id, "aborted/" + n);
            case 10 -> chunk(id, "bidi\u202Etxt.exe", 0, 1, 0, 10, new byte[10], new byte[32]);
            default -> {
                // A CRC that does not match the value.
                ProducerRecord<String, byte[]> r = chunk(id, "crc/" + n, 0, 1, 0, 1024, kb, new byte[32]);
                kb[0] ^= 1;
                yield r;
            }
        };
    }

    static ProducerRecord<String, byte[]> chunk(String id, String path, int index, int count, long offset, long size,
            byte[] data, byte[] sha) {
        Chunk c = new Chunk(id, 0, path, index, count, offset, size, 0, 0644, data, sha);
        return new ProducerRecord<>(TOPIC, null, id, data, WireFormat.headersOf(c));
    }

    static ProducerRecord<String, byte[]> abort(String id, String path) {
        Abort a = new Abort(id, 5, path, "forged");
        Headers headers = new RecordHeaders(WireFormat.headersOf(a).toArray());
        return new ProducerRecord<>(TOPIC, null, id, new byte[0], headers);
    }

    KafkaProducer<String, byte[]> foreignClient() {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1 << 20, ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** Runs a full GC in the process and reads its used heap afterwards (jcmd, from this JDK). */
    static long heapAfterFullGc(long pid) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        run(jcmd.toString(), Long.toString(pid), "GC.run");
        String info = run(jcmd.toString(), Long.toString(pid), "GC.heap_info");
        // "garbage-first heap total 262144K, used 61234K [...]"
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        assertThat(m.find()).as("jcmd GC.heap_info: " + info).isTrue();
        return Long.parseLong(m.group(1)) * 1024;
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }
}
