package dev.ferry.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.ferry.receipt.Receipt;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.trust.Ed25519Keys;
import dev.ferry.trust.KeyRing;
import dev.ferry.trust.RecordSignatures;
import dev.ferry.trust.SigningKey;
import dev.ferry.trust.TrustedKeys;

/**
 * A consumer starting on a receipts topic of a million receipts (plus 40 oversized records), at {@code -Xmx256m}; run
 * it with {@code bench/receipts.sh}. Not a test (writing a million receipts takes a while): it prints the start-up time
 * and the heap after a full GC; the figures are kept in docs/hostile-input.md.
 */
public final class ReceiptsStartBenchmark {

    public static void main(String[] args) throws Exception {
        List<String> options = List.of(args);
        int receipts = options.contains("quick") ? 100_000 : 1_000_000;
        // "signed": every receipt signed, and the consumer requiring signatures (so it checks each one at start-up).
        KeyRing signer = null;
        if (options.contains("signed")) {
            signer = new KeyRing();
            signer.use(Optional.of(SigningKey.generate()), TrustedKeys.NONE, false);
        }
        Path work = Files.createTempDirectory(Path.of("target"), "receipts-bench-");
        Path logs = Files.createDirectories(Path.of("target", "benchmark"));
        try (KafkaBroker broker = KafkaBroker.start()) {
            String topic = "ferry-chunks-receipts";
            try (Admin admin = Admin
                    .create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
                admin.createTopics(
                        List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")))).all()
                        .get(30, TimeUnit.SECONDS);
            }
            long writeStart = System.nanoTime();
            try (KafkaProducer<String, String> writer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                            ProducerConfig.LINGER_MS_CONFIG, 20, ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20,
                            ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"),
                    new StringSerializer(), new StringSerializer())) {
                Random random = new Random(1);
                for (int i = 0; i < receipts; i++) {
                    String id = String.format("%016x%016x", random.nextLong(), random.nextLong());
                    Receipt r = new Receipt(Receipt.VERSION, id, 0, Receipt.Outcome.DELIVERED,
                            "reports/2026/file-" + i + ".csv", "reports/2026/file-" + i + ".csv", 123_456,
                            "ab".repeat(32), "ferry-consumer-0", Instant.now(), null, "ferry-chunks", null);
                    ProducerRecord<String, String> record = new ProducerRecord<>(topic, id, r.toJson());
                    if (signer != null) {
                        RecordSignatures.sign(signer, Receipt.SIGNATURE_DOMAIN, topic, id,
                                record.value().getBytes(StandardCharsets.UTF_8), record.headers());
                    }
                    writer.send(record);
                }
                String padding = "x".repeat(900_000);
                for (int i = 0; i < 40; i++) {
                    writer.send(new ProducerRecord<>(topic, String.format("%032x", i), padding));
                }
            }
            System.out.printf("Wrote %d receipts and 40 oversized records in %d s%n", receipts,
                    (System.nanoTime() - writeStart) / 1_000_000_000L);

            Map<String, String> env = new HashMap<>(Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                    "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_OUTBOX",
                    work.resolve("outbox").toString(), "FERRY_STATE_DIR", work.resolve("state").toString(),
                    "FERRY_GROUP_ID", "bench", "FERRY_KAFKA_STARTUP_TIMEOUT", "300s"));
            if (signer != null) {
                Path pub = work.resolve("trusted.pub");
                Files.writeString(pub, Ed25519Keys.publicPem(signer.signingKey().orElseThrow().publicKey()));
                env.put("FERRY_TRUSTED_KEYS", pub.toString());
            }
            long start = System.nanoTime();
            try (FerryProcess consumer = FerryProcess.startAsDeployed("consumer", env,
                    logs.resolve("receipts-consumer.log"), "-Xmx256m")) {
                long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                while (consumer.get("/q/health/ready") != 200) {
                    if (!consumer.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException("consumer did not start; see " + consumer.log());
                    }
                    Thread.sleep(200); // polling a process from a benchmark, not a test
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                long heap = heapAfterFullGc(consumer.pid());
                String line = String.format(
                        "%s, %s: consumer at -Xmx256m on %d %sreceipts (+40 oversized records): ready in %.1f s, heap "
                                + "after full GC %d MiB",
                        LocalDate.now(), System.getProperty("os.arch"), receipts,
                        signer != null ? "signed (and checked) " : "", seconds, heap >> 20);
                System.out.println(line);
            }
        }
    }

    static long heapAfterFullGc(long pid) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").start().waitFor();
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.heap_info").start();
        String info = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) * 1024 : -1;
    }
}
