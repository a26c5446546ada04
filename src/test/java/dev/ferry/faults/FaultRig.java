package dev.ferry.faults;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberToRemove;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.quota.ClientQuotaAlteration;
import org.apache.kafka.common.quota.ClientQuotaEntity;
import org.awaitility.core.ConditionTimeoutException;

import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaCluster;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestFiles;
import dev.ferry.verify.Verifier;

/**
 * One fault scenario's world: a real Kafka cluster in its own processes, the packaged Ferry as producer and consumer
 * processes configured by environment variables, an inbox, a shared outbox, a state dir per process, and a watch on
 * both folders. The producer deletes sources once delivered, so the watch can also check that no source disappears
 * before its file is in the outbox.
 */
final class FaultRig implements AutoCloseable {

    static final int CHUNK = 512 * 1024;
    /** Log lines per process printed when files are not delivered in time. */
    private static final int LAST_WORDS = 12;

    final String name;
    final Path root;
    final Path inbox;
    final Path outbox;
    final KafkaCluster cluster;
    final Map<String, String> expected = new LinkedHashMap<>();
    final Map<String, Long> sizes = new ConcurrentHashMap<>();
    final OutboxWatch watch;
    final Map<String, String> extraEnv = new HashMap<>();
    private final List<FerryProcess> processes = new ArrayList<>();
    private final long started = System.nanoTime();
    private int logSeq;
    private boolean closed;

    FaultRig(String name, int brokers) throws IOException {
        this.name = name;
        this.root = Files.createDirectories(Path.of("target", "faults", name).toAbsolutePath());
        deleteTree(root);
        this.inbox = Files.createDirectories(root.resolve("inbox"));
        this.outbox = Files.createDirectories(root.resolve("outbox"));
        this.cluster = KafkaCluster.start(root.resolve("kafka"), brokers);
        this.watch = new OutboxWatch(inbox, outbox, sizes);
    }

    Map<String, String> common() {
        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", cluster.bootstrapServers());
        env.put("FERRY_TOPIC", "ferry-" + name);
        int rf = Math.min(3, cluster.size());
        env.put("FERRY_REPLICATION_FACTOR", Integer.toString(rf));
        env.put("FERRY_MIN_INSYNC_REPLICAS", Integer.toString(Math.min(2, rf)));
        env.put("FERRY_PARTITIONS", "4");
        env.put("FERRY_SETTLE_TIME", "300ms");
        env.put("FERRY_RESCAN_INTERVAL", "1s");
        env.putAll(extraEnv);
        return env;
    }

    FerryProcess producer(Map<String, String> env, String... jvmArgs) {
        Map<String, String> all = common();
        all.put("FERRY_INBOX", inbox.toString());
        all.put("FERRY_STATE_DIR", root.resolve("producer-state").toString());
        all.put("FERRY_SOURCE_POLICY", "delete");
        all.putAll(env);
        return track(FerryProcess.start("producer", all, log("producer"), jvm(jvmArgs)));
    }

    FerryProcess consumer(int instance, Map<String, String> env, String... jvmArgs) {
        Map<String, String> all = common();
        all.put("FERRY_OUTBOX", outbox.toString());
        all.put("FERRY_STATE_DIR", consumerState(instance).toString());
        all.put("FERRY_GROUP_ID", "ferry-" + name);
        all.put("FERRY_INSTANCE_ID", "consumer-" + instance);
        all.putAll(env);
        return track(FerryProcess.start("consumer", all, log("consumer-" + instance), jvm(jvmArgs)));
    }

    Path consumerState(int instance) {
        return root.resolve("consumer-" + instance + "-state");
    }

    private static String[] jvm(String... extra) {
        List<String> args = new ArrayList<>(List.of("-Xmx256m", "-XX:+UseSerialGC"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private synchronized Path log(String who) {
        return root.resolve("logs").resolve(String.format("%03d-%s.log", ++logSeq, who));
    }

    private synchronized FerryProcess track(FerryProcess p) {
        processes.add(p);
        return p;
    }

    /**
     * The file mix of the issue: 0 B, 1 B, chunk-1, chunk, chunk+1, {@code small} small files and one large file,
     * written atomically (rename) so the producer never sees them half-written.
     */
    void writeMix(long largeBytes, int small) throws IOException {
        write("edge/empty", 0, 1);
        write("edge/one-byte", 1, 2);
        write("edge/chunk-minus-1.bin", CHUNK - 1, 3);
        write("edge/chunk.bin", CHUNK, 4);
        write("edge/chunk-plus-1.bin", CHUNK + 1, 5);
        for (int i = 0; i < small; i++) {
            write("small/f" + i + ".dat", 1000 + 7919L * i, 100 + i);
        }
        if (largeBytes > 0) {
            write("large/big.bin", largeBytes, 7);
        }
    }

    void write(String path, long size, long seed) throws IOException {
        sizes.put(path, size); // before the file exists, so the watch never sees an unknown file
        Path file = TestFiles.randomAtomically(inbox.resolve(path), size, seed);
        expected.put(path, TestFiles.sha256(file));
        sizes.put(path, size);
    }

    Verifier.Report verify() throws IOException {
        Map<String, Object> kafka = Map.of("bootstrap.servers", cluster.bootstrapServers());
        return new Verifier(kafka, "ferry-" + name, "ferry-" + name + "-receipts", Duration.ofSeconds(60))
                .verify(outbox, false);
    }

    /** Waits until every file is delivered byte-identical (checked by hash here, then by the verify tool). */
    Verifier.Report awaitDelivered(Duration limit) throws IOException {
        try {
            await().atMost(limit).pollInterval(Duration.ofSeconds(1)).until(() -> undelivered().isEmpty());
        } catch (ConditionTimeoutException e) {
            // CI keeps only the console: say which files are missing and what the processes last said.
            throw new AssertionError("not delivered within " + limit + ": " + undelivered() + "\n" + lastWords(), e);
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> verify().identical() == expected.size() && stagedFiles() == 0);
        return verify();
    }

    /** Expected files not (yet) in the outbox at their size: path, what the outbox and the inbox hold. */
    private List<String> undelivered() throws IOException {
        List<String> missing = new ArrayList<>();
        for (String path : expected.keySet()) {
            Path f = outbox.resolve(path);
            long size = Files.exists(f) ? Files.size(f) : -1;
            if (size != sizes.get(path)) {
                missing.add(path + " (outbox " + (size < 0 ? "none" : size + " B") + ", inbox "
                        + (Files.exists(inbox.resolve(path)) ? "present" : "gone") + ")");
            }
        }
        return missing;
    }

    /** The last lines of the logs of the processes running and of the two started last, oldest first. */
    private synchronized String lastWords() {
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < processes.size(); i++) {
            FerryProcess p = processes.get(i);
            if (!p.isAlive() && i < processes.size() - 2) {
                continue;
            }
            List<String> lines = ProcessLog.text(p.log()).lines().toList();
            words.append("--- ").append(p.log().getFileName()).append(p.isAlive() ? " (running)" : " (exited)")
                    .append('\n');
            lines.subList(Math.max(0, lines.size() - LAST_WORDS), lines.size())
                    .forEach(l -> words.append(l, 0, Math.min(l.length(), 400)).append('\n'));
        }
        return words.toString();
    }

    /**
     * Removes a killed static member (it would hold the group until its session times out) and sets the group's
     * committed offsets back to the start of every partition.
     */
    void resetGroupToEarliest(String instanceId) throws Exception {
        String group = "ferry-" + name;
        String topic = "ferry-" + name;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            admin.removeMembersFromConsumerGroup(group,
                    new RemoveMembersFromConsumerGroupOptions(List.of(new MemberToRemove(instanceId)))).all().get();
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                    .forEach(p -> start.put(new TopicPartition(topic, p.partition()), new OffsetAndMetadata(0)));
            admin.alterConsumerGroupOffsets(group, start).all().get();
        }
    }

    long stagedFiles() throws IOException {
        Path staging = outbox.resolve(".ferry/staging");
        if (!Files.exists(staging)) {
            return 0;
        }
        try (Stream<Path> all = Files.walk(staging)) {
            return all.filter(Files::isRegularFile).count();
        }
    }

    /** Files in the outbox (outside .ferry) whose content equals an expected file's, counted per expected file. */
    int identicalFiles() throws IOException {
        int n = 0;
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path f = outbox.resolve(e.getKey());
            if (Files.exists(f) && TestFiles.sha256(f).equals(e.getValue())) {
                n++;
            }
        }
        return n;
    }

    double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    /** Whether any process log contains {@code text}. */
    boolean logsContain(String text) throws IOException {
        try (Stream<Path> logs = Files.list(root.resolve("logs"))) {
            for (Path log : logs.toList()) {
                if (ProcessLog.text(log).contains(text)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** How many times {@code text} occurs in all process logs. */
    long countInLogs(String text) throws IOException {
        long n = 0;
        try (Stream<Path> logs = Files.list(root.resolve("logs"))) {
            for (Path log : logs.toList()) {
                n += ProcessLog.text(log).split(Pattern.quote(text), -1).length - 1;
            }
        }
        return n;
    }

    /**
     * How often a partition changed owner among the consumer instances, from their "Partitions assigned" log lines in
     * time order: a partition given back to the instance that had it (static membership) is not a move.
     */
    int partitionMoves() throws IOException {
        Pattern line = Pattern.compile("^(\\S+ \\S+) .*Partitions assigned: \\[(.*)\\]$", Pattern.MULTILINE);
        TreeMap<String, List<String[]>> events = new TreeMap<>();
        try (Stream<Path> logs = Files.list(root.resolve("logs"))) {
            for (Path log : logs.filter(l -> l.toString().contains("consumer-")).toList()) {
                String instance = log.getFileName().toString().replaceAll("^\\d+-|\\.log$", "");
                var m = line.matcher(ProcessLog.text(log));
                while (m.find()) {
                    events.computeIfAbsent(m.group(1), t -> new ArrayList<>())
                            .add(new String[] { instance, m.group(2) });
                }
            }
        }
        Map<String, String> owner = new HashMap<>();
        int moves = 0;
        for (List<String[]> at : events.values()) {
            for (String[] e : at) {
                for (String partition : e[1].split(", ")) {
                    if (partition.isBlank()) {
                        continue;
                    }
                    String before = owner.put(partition, e[0]);
                    if (before != null && !before.equals(e[0])) {
                        moves++;
                    }
                }
            }
        }
        return moves;
    }

    /** Per partition of the chunk topic: the group's committed offset (0 if none) and the end offset. */
    Map<Integer, long[]> committedAndEndOffsets() throws Exception {
        String topic = "ferry-" + name;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("ferry-" + name)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                    .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<Integer, long[]> result = new TreeMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> {
                OffsetAndMetadata c = committed.get(tp);
                result.put(tp.partition(), new long[] { c == null ? 0 : c.offset(), info.offset() });
            });
            return result;
        }
    }

    /** A broker quota on every client's produce rate, in bytes per second; negative removes it. */
    void setProducerQuota(long bytesPerSecond) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            var entity = new ClientQuotaEntity(Collections.singletonMap(ClientQuotaEntity.CLIENT_ID, null));
            var op = new ClientQuotaAlteration.Op("producer_byte_rate",
                    bytesPerSecond < 0 ? null : (double) bytesPerSecond);
            admin.alterClientQuotas(List.of(new ClientQuotaAlteration(entity, List.of(op)))).all().get();
        }
    }

    @Override
    public void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        watch.close();
        for (FerryProcess p : processes) {
            p.close();
        }
        cluster.close();
        // Keep the logs for diagnosis, drop the data: a full-scale run would otherwise leave gigabytes per scenario.
        try (Stream<Path> entries = Files.list(root)) {
            for (Path e : entries.toList()) {
                if (!e.getFileName().toString().equals("logs") && Files.isDirectory(e)) {
                    deleteTree(e, true);
                }
            }
        }
    }

    static void deleteTree(Path dir) {
        deleteTree(dir, false);
    }

    /** Deletes what is inside {@code dir}, optionally keeping {@code *.log} files. */
    static void deleteTree(Path dir, boolean keepLogs) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(dir) && !(keepLogs && p.toString().endsWith(".log"))) {
                    try {
                        Files.delete(p);
                    } catch (DirectoryNotEmptyException e) {
                        // a folder holding a kept log
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
