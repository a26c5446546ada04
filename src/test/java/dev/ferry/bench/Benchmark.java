package dev.ferry.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import dev.ferry.chunk.WireFormat;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.KafkaLogging;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestFiles;
import dev.ferry.trust.SealingKey;

/**
 * Ferry's throughput and memory benchmark; run it with {@code bench/run.sh} (see docs/benchmarks.md). Not a test: it
 * prints figures and ratios and writes them to docs/benchmarks.md.
 * <p>
 * Everything runs on this machine at the same time, as in production on one node: the broker (in this JVM), the Ferry
 * producer and consumer (the packaged application, two processes, -Xmx256m each), and for the baseline Kafka's own
 * producer-perf and consumer-perf tools (two processes) with the same record size and bytes. Ferry's time runs from the
 * producer's "sending" log line of the first file to the consumer's "delivered" line of the last, so the settle time is
 * left out.
 */
public final class Benchmark {

    static final long MiB = 1L << 20;
    static final Pattern LOG_TIME = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3})");
    /** Log lines of the measured files (f0.bin, f1.bin, ...), not of the warm-up. */
    static final Pattern MEASURED_SENDING = Pattern.compile("[(/]f\\d+\\.bin\\): sending ");
    static final Pattern MEASURED_DELIVERED = Pattern.compile("[(/]f\\d+\\.bin\\): delivered ");
    static final Pattern MEASURED_ASSEMBLING = Pattern.compile("[(/]f\\d+\\.bin\\): assembling ");
    static final long KiB = 1L << 10;
    /**
     * The JIT compilers' share of a warm-up round's CPU (Ferry's processes and the broker's) below which the clock
     * starts.
     */
    static final double JIT_QUIET_SHARE = 0.10;
    /** Warm-up rounds with the measured shape at most ({@link #warmUpUntilCompiled}); -Dbench.shapeRounds=1 for one. */
    static final int MAX_SHAPE_ROUNDS = Integer.getInteger("bench.shapeRounds", 4);
    static final DateTimeFormatter LOG_FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");

    final boolean quick;
    final Path work;
    final Path logs = Path.of("target", "benchmark");
    final KafkaBroker broker;
    final PageCache pageCache;
    final String classPath = System.getProperty("java.class.path");
    final StringBuilder report = new StringBuilder();
    int runs;

    Benchmark(boolean quick) throws IOException {
        this.quick = quick;
        this.work = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "target")), "bench-");
        Files.createDirectories(logs);
        this.broker = KafkaBroker.start();
        this.pageCache = new PageCache(work);
    }

    public static void main(String[] args) throws Exception {
        boolean quick = args.length > 0 && args[0].equals("quick");
        Benchmark bench = new Benchmark(quick);
        try {
            bench.run();
        } finally {
            bench.broker.close();
            deleteTree(bench.work);
        }
        System.exit(0);
    }

    void run() throws Exception {
        long bigFile = quick ? 256 * MiB : 2048 * MiB;
        int smallCount = quick ? 100 : 1000;
        long hugeFile = quick ? 512 * MiB : 4096 * MiB;
        long sweepFile = quick ? 128 * MiB : 1024 * MiB;
        int defaultChunk = 512 * 1024;

        line("# Ferry benchmark results");
        line("");
        line("Date: " + LocalDate.now() + (quick ? " (quick run: smaller files, not the reference figures)" : ""));
        line("Machine: " + machine());
        line("Reproduce: `bench/run.sh`" + (quick ? " quick" : "") + " (takes about " + (quick ? "4" : "25")
                + " minutes; needs about " + (quick ? "5" : "30") + " GB of free disk)");
        line("");
        line("All processes share the machine: one broker, Ferry's producer and consumer (-Xmx256m each) or Kafka's");
        line("producer-perf and consumer-perf running at the same time, same record size, same bytes, acks=all.");
        line("Ferry runs with its image's JVM arguments (" + String.join(" ", FerryProcess.imageJvmArguments()) + ")"
                + (System.getProperty("bench.jvm", "").isBlank() ? "" : " and " + System.getProperty("bench.jvm"))
                + ".");
        line(pageCache.enabled()
                ? "Before each run the free memory is filled with page cache, as on a node that"
                        + " has run for a while (PageCache: this VM takes free memory back, and pages from it cost"
                        + " about ten times as much system time)."
                : "The memory is measured as found (-Dbench.pageCache=false): free memory costs this VM more than"
                        + " page cache recycled (PageCache).");
        line("");

        line("## End to end, default chunk size (" + defaultChunk / 1024 + " KiB)");
        line("");
        line("| Workload | Ferry MB/s | Raw Kafka pipe MB/s | Ferry / raw |");
        line("|---|---|---|---|");
        String only = System.getProperty("bench.only", "");
        if (only.equals("many")) {
            bracketed(smallCount + " x 1 MiB", defaultChunk, smallCount, MiB);
            return;
        } else if (only.equals("raw")) {
            raw(defaultChunk, bigFile);
            return;
        } else if (only.equals("big")) {
            bracketed("1 x " + bigFile / MiB + " MiB", defaultChunk, 1, bigFile);
            return;
        } else if (only.equals("small")) {
            smallFiles(defaultChunk, quick ? 1000 : 5000, 4 * KiB);
            return;
        } else if (only.equals("threads")) {
            consumerThreads(defaultChunk, quick ? 32 : 64, (quick ? 4 : 32) * MiB);
            return;
        } else if (only.equals("encryption")) {
            encryption(defaultChunk, quick ? 256 * MiB : 1024 * MiB);
            return;
        }
        if (only.equals("memory")) {
            constantMemory(defaultChunk, hugeFile);
            return;
        }
        bracketed("1 x " + bigFile / MiB + " MiB", defaultChunk, 1, bigFile);
        bracketed(smallCount + " x 1 MiB", defaultChunk, smallCount, MiB);
        line("");
        line("The raw pipe is measured before and after Ferry (both in brackets); the ratio is against their mean.");
        line("");
        smallFiles(defaultChunk, quick ? 1000 : 5000, 4 * KiB);
        consumerThreads(defaultChunk, quick ? 32 : 64, (quick ? 4 : 32) * MiB);

        constantMemory(defaultChunk, hugeFile);

        line("## Chunk size sweep: one " + sweepFile / MiB + " MiB file");
        line("");
        line("| Chunk size | Ferry MB/s | Raw Kafka pipe MB/s | Ferry / raw |");
        line("|---|---|---|---|");
        List<int[]> sizes = new ArrayList<>();
        List<double[]> figures = new ArrayList<>();
        for (int kib : new int[] { 16, 64, 256, 512, 1024, 2048, 4096 }) {
            Result f = ferry(kib * 1024, 1, sweepFile, List.of());
            Result r = raw(kib * 1024, sweepFile);
            row(kib >= 1024 ? kib / 1024 + " MiB" : kib + " KiB", f, r);
            sizes.add(new int[] { kib });
            figures.add(new double[] { f.mbPerSecond, r.mbPerSecond });
        }
        line("");
        Path plot = Path.of("docs", "benchmark-chunk-size.png");
        SweepPlot.write(plot, sizes, figures,
                "Ferry vs raw Kafka pipe by chunk size (" + sweepFile / MiB + " MiB file, " + LocalDate.now() + ")");
        line("![MB/s by chunk size](benchmark-chunk-size.png)");
        line("");
        Files.writeString(Path.of("docs", "benchmarks.md"), report.toString(), StandardCharsets.UTF_8);
        System.out.println("\nWritten to docs/benchmarks.md and " + plot);
    }

    /** One file larger than both heaps together: the heap and RSS of each role, from its GC log and /proc. */
    void constantMemory(int chunkSize, long size) throws Exception {
        line("## Constant memory: one " + size / MiB + " MiB file, both roles at -Xmx256m");
        line("");
        Result huge = ferry(chunkSize, 1, size, List.of());
        line("| Role | Peak heap used (GC log) | Heap after GC (max) | Heap after full GC (max) | Peak RSS (VmHWM) |");
        line("|---|---|---|---|---|");
        for (String role : List.of("producer", "consumer")) {
            Usage u = role.equals("producer") ? huge.producer : huge.consumer;
            line("| " + role + " | " + u.peakHeapMiB + " MiB | " + u.liveHeapMiB + " MiB | " + u.afterFullGc() + " | "
                    + u.peakRssMiB + " MiB |");
        }
        line("");
        line("Full collections at start-up (class loading, \"Metadata GC Threshold\") are left out of the full-GC column.");
        line("");
        line(String.format("The %d MiB file moved at %.1f MB/s, byte-identical (SHA-256 compared).", size / MiB,
                huge.mbPerSecond));
        line("");
    }

    /**
     * What end-to-end encryption costs end to end: the same file of random bytes through Ferry in the clear and sealed
     * (AES-256-GCM, one route key for both roles), runs alternated so that both see the same machine.
     */
    void encryption(int chunkSize, long size) throws Exception {
        Path key = work.resolve("route.aes");
        Files.writeString(key, SealingKey.generate().base64() + "\n");
        line("## End-to-end encryption: one " + size / MiB + " MiB file of random bytes, runs alternated");
        line("");
        line("| Run | in the clear MB/s | sealed MB/s | sealed / clear | CPU s producer, consumer (clear) "
                + "| CPU s producer, consumer (sealed) |");
        line("|---|---|---|---|---|---|");
        List<Double> ratios = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Result clear = ferry(chunkSize, 1, size, List.of());
            Result sealed = ferry(chunkSize, 1, size, List.of("FERRY_ENCRYPTION_KEY=" + key));
            ratios.add(sealed.mbPerSecond / clear.mbPerSecond);
            line(String.format("| %d | %.1f | %.1f | %.2f | %.1f, %.1f | %.1f, %.1f |", i, clear.mbPerSecond,
                    sealed.mbPerSecond, sealed.mbPerSecond / clear.mbPerSecond, clear.producer.cpuSeconds(),
                    clear.consumer.cpuSeconds(), sealed.producer.cpuSeconds(), sealed.consumer.cpuSeconds()));
        }
        ratios.sort(null);
        line("");
        line(String.format("Median sealed / clear: %.2f", ratios.get(1)));
        System.out.println();
        System.out.println(report);
    }

    /**
     * Many small files dropped at once, as a folder renamed into the inbox (a sensor dump, a batch of thumbnails):
     * files per second end to end, each fsynced, verified, recorded and receipted, against {@code cp -a} of the same
     * tree and one {@code sync} on the same disk.
     */
    void smallFiles(int chunkSize, int count, long size) throws Exception {
        Path copied = Files.createDirectories(work.resolve("copy-" + ++runs));
        double copy = copyFilesPerSecond(copied, count, size);
        Result ferry = ferry(chunkSize, count, size, List.of());
        deleteTree(copied); // after Ferry's run: deleting thousands of files slows the next creations (see warmUp)
        line("## Many small files: " + count + " x " + size / KiB + " KiB, dropped as one folder");
        line("");
        line("| | files/s | MB/s | CPU s producer | CPU s consumer | CPU s broker and benchmark |");
        line("|---|---|---|---|---|---|");
        line(String.format("| Ferry, end to end | %.0f | %.1f | %.1f | %.1f | %.1f |", ferry.filesPerSecond(),
                ferry.mbPerSecond, ferry.producer.cpuSeconds(), ferry.consumer.cpuSeconds(), ferry.brokerCpuSeconds));
        line(String.format("| `cp -a` + `sync`, same disk | %.0f | %.1f | | | |", copy, copy * size / 1e6));
        line("");
    }

    /**
     * The consumer alone, by staging threads ({@code ferry.consumer-threads} 1, 2, 4): a topic of 4 partitions is
     * filled by the producer first, the producer is stopped, then a fresh consumer (its own group, receipts topic and
     * outbox) reads the same records for each thread count. Each run starts a new JVM, so each pays the same JIT start.
     */
    void consumerThreads(int chunkSize, int count, long size) throws Exception {
        int run = ++runs;
        pageCache.fill();
        Path dir = Files.createDirectories(work.resolve("threads-" + run));
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add("f" + i + ".bin");
            TestFiles.random(inbox.resolve(names.get(i)), size, run * 100_000L + i);
        }
        String topic = "ferry-threads-" + run;
        Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(), "FERRY_TOPIC", topic,
                "FERRY_CHUNK_SIZE", Integer.toString(chunkSize), "FERRY_REPLICATION_FACTOR", "1",
                "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "4", "FERRY_SETTLE_TIME", "300ms");
        long records = count * ((size + chunkSize - 1) / chunkSize);
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR", dir.resolve("p").toString()));
        List<String> topics = new ArrayList<>(List.of(topic, topic + "-dlq", topic + "-receipts"));
        try {
            try (FerryProcess producer = FerryProcess.startAsDeployed("producer", producerEnv,
                    logs.resolve("threads-" + run + "-producer.log"), "-Xmx256m")) {
                waitFor(Duration.ofMinutes(10), records + " records in " + topic,
                        () -> endOffsets(topic, 4).stream().mapToLong(Long::longValue).sum() >= records);
                producer.stop(Duration.ofSeconds(30));
            }
            List<Long> perPartition = endOffsets(topic, 4);
            line("## The consumer alone, by threads: " + count + " x " + size / MiB + " MiB read from 4 partitions");
            line("");
            line("Records per partition: " + perPartition + ". The topic was filled first and the producer stopped; "
                    + "each run is a fresh consumer process (JIT start included).");
            line("");
            line("| ferry.consumer-threads | MB/s | CPU s/GiB consumer | heap after GC | after full GC |");
            line("|---|---|---|---|---|");
            for (int threads : new int[] { 1, 2, 4 }) {
                String id = "threads-" + run + "-" + threads;
                Path outbox = dir.resolve("outbox-" + threads);
                Map<String, String> consumerEnv = new HashMap<>(common);
                consumerEnv.putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR",
                        dir.resolve("c-" + threads).toString(), "FERRY_GROUP_ID", id, "FERRY_INSTANCE_ID", id,
                        "FERRY_RECEIPTS_TOPIC", topic + "-receipts-" + threads, "FERRY_CONSUMER_THREADS",
                        Integer.toString(threads)));
                topics.add(topic + "-receipts-" + threads);
                Path log = logs.resolve(id + "-consumer.log");
                Path gc = logs.resolve(id + "-consumer-gc.log");
                try (FerryProcess consumer = FerryProcess.startAsDeployed("consumer", consumerEnv, log, jvm(gc))) {
                    waitFor(Duration.ofSeconds(90), "consumer ready", () -> consumer.get("/q/health/ready") == 200);
                    double idleCpu = cpuSeconds(consumer.pid());
                    PhaseProfile profile = PhaseProfile.startIfAsked("consumer, " + threads + " threads",
                            consumer.pid(), logs.resolve(id + "-consumer"));
                    waitFor(Duration.ofMinutes(20), count + " files delivered",
                            () -> names.stream().allMatch(n -> Files.exists(outbox.resolve(n))));
                    if (profile != null) {
                        profile.stopAndPrint();
                    }
                    for (String name : names) {
                        if (!TestFiles.sha256(outbox.resolve(name)).equals(TestFiles.sha256(inbox.resolve(name)))) {
                            throw new IllegalStateException("Benchmark run " + id + ": " + name + " differs");
                        }
                    }
                    Usage usage = usage(consumer.pid(), gc, cpuSeconds(consumer.pid()) - idleCpu);
                    consumer.stop(Duration.ofSeconds(30));
                    double seconds = between(firstLine(log, MEASURED_ASSEMBLING), lastLine(log, MEASURED_DELIVERED));
                    double gib = count * (double) size / (1L << 30);
                    double mbs = count * size / 1e6 / seconds;
                    System.out.printf("threads %d  %5d x %5d MiB  %7.2f s  %7.1f MB/s  cpu s/GiB consumer %.1f%n",
                            threads, count, size / MiB, seconds, mbs, usage.cpuSeconds() / gib);
                    line(String.format("| %d | %.1f | %.1f | %d MiB | %s |", threads, mbs, usage.cpuSeconds() / gib,
                            usage.liveHeapMiB(), usage.afterFullGc()));
                } finally {
                    deleteTree(outbox);
                }
            }
            line("");
        } finally {
            deleteTree(dir);
            deleteTopics(topics.toArray(String[]::new));
        }
    }

    private List<Long> endOffsets(String topic, int partitions) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            var offsets = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            List<Long> ends = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                ends.add(offsets.get(new TopicPartition(topic, p)).offset());
            }
            return ends;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return List.of(0L); // not made yet: the producer makes it at start
            }
            throw e;
        }
    }

    /** The same tree copied with {@code cp -a} and flushed with one {@code sync}: the disk's own pace. */
    double copyFilesPerSecond(Path dir, int count, long size) throws Exception {
        pageCache.fill();
        Path from = Files.createDirectories(dir.resolve("from").resolve("batch"));
        for (int i = 0; i < count; i++) {
            TestFiles.random(from.resolve("f" + i + ".bin"), size, i);
        }
        new ProcessBuilder("sync").inheritIO().start().waitFor();
        long started = System.nanoTime();
        Process cp = new ProcessBuilder("cp", "-a", from.toString(), dir.resolve("to").toString()).inheritIO().start();
        if (cp.waitFor() != 0 || new ProcessBuilder("sync").inheritIO().start().waitFor() != 0) {
            throw new IllegalStateException("cp -a or sync failed");
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("cp -a   %5d x %6d KiB  %7.2f s  %7.0f files/s%n", count, size / KiB, seconds,
                count / seconds);
        return count / seconds;
    }

    /**
     * @param liveHeapMiB
     *            the most heap left after any collection: under ParallelGC a young collection leaves the old generation
     *            as it is, garbage included, until a full one
     * @param fullGcHeapMiB
     *            the most heap left after a full collection other than the start-up's class-loading ones (what was
     *            really live), -1 if there was none
     */
    record Usage(long peakHeapMiB, long liveHeapMiB, long fullGcHeapMiB, long peakRssMiB, double cpuSeconds) {

        String afterFullGc() {
            return fullGcHeapMiB < 0 ? "none" : fullGcHeapMiB + " MiB";
        }
    }

    record Result(double mbPerSecond, double filesPerSecond, Usage producer, Usage consumer, double brokerCpuSeconds) {

        Result(double mbPerSecond, Usage producer, Usage consumer) {
            this(mbPerSecond, 0, producer, consumer, 0);
        }
    }

    /**
     * Moves {@code count} files of {@code size} bytes through Ferry and times it from its own logs; {@code extraEnv}
     * holds settings (NAME=value) for both roles.
     */
    Result ferry(int chunkSize, int count, long size, List<String> extraEnv) throws Exception {
        int run = ++runs;
        pageCache.fill(); // before the run's files: the kernel drops the filler's pages before them
        Path dir = Files.createDirectories(work.resolve("ferry-" + run));
        Path inbox = Files.createDirectories(dir.resolve("inbox"));
        Path outbox = dir.resolve("outbox");
        Path source = Files.createDirectories(dir.resolve("source"));
        // Small files arrive as one folder renamed into the inbox, as a batch usually does; large ones one by one.
        boolean batch = size < MiB;
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = (batch ? "batch/" : "") + "f" + i + ".bin";
            Files.createDirectories(source.resolve(name).getParent());
            TestFiles.random(source.resolve(name), size, run * 100_000L + i);
            names.add(name);
        }
        String topic = "ferry-bench-" + run;
        Map<String, String> common = new HashMap<>(Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                "FERRY_TOPIC", topic, "FERRY_CHUNK_SIZE", Integer.toString(chunkSize), "FERRY_REPLICATION_FACTOR", "1",
                "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_PARTITIONS", "6", "FERRY_SETTLE_TIME", "300ms"));
        List<String> settings = new ArrayList<>(List.of(System.getProperty("bench.env", "").split(",")));
        settings.addAll(extraEnv);
        for (String kv : settings) {
            if (kv.contains("=")) {
                common.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
            }
        }
        Map<String, String> producerEnv = new HashMap<>(common);
        producerEnv.putAll(Map.of("FERRY_INBOX", inbox.toString(), "FERRY_STATE_DIR", dir.resolve("p").toString()));
        Map<String, String> consumerEnv = new HashMap<>(common);
        consumerEnv.putAll(Map.of("FERRY_OUTBOX", outbox.toString(), "FERRY_STATE_DIR", dir.resolve("c").toString(),
                "FERRY_GROUP_ID", "bench-" + run, "FERRY_INSTANCE_ID", "bench-" + run));
        Path producerLog = logs.resolve("ferry-" + run + "-producer.log");
        Path consumerLog = logs.resolve("ferry-" + run + "-consumer.log");
        Path producerGc = logs.resolve("ferry-" + run + "-producer-gc.log");
        Path consumerGc = logs.resolve("ferry-" + run + "-consumer-gc.log");
        try (FerryProcess consumer = FerryProcess.startAsDeployed("consumer", consumerEnv, consumerLog,
                jvm(consumerGc));
                FerryProcess producer = FerryProcess.startAsDeployed("producer", producerEnv, producerLog,
                        jvm(producerGc))) {
            waitFor(Duration.ofSeconds(90), "Ferry ready",
                    () -> producer.get("/q/health/ready") == 200 && consumer.get("/q/health/ready") == 200);
            List<String> warmedUp = warmUp(source, inbox, outbox);
            warmedUp.addAll(warmUpUntilCompiled(source, inbox, outbox, count, size, batch, producer, consumer));
            double probe = CpuProbe.sha256MbPerSecond();
            double jitBefore = jitCpu(producer, consumer);
            double producerIdleCpu = cpuSeconds(producer.pid());
            double consumerIdleCpu = cpuSeconds(consumer.pid());
            double brokerIdleCpu = cpuSeconds(ProcessHandle.current().pid());
            double machineIdleCpu = machineCpuSeconds();
            PhaseProfile producerProfile = PhaseProfile.startIfAsked("producer", producer.pid(),
                    logs.resolve("ferry-" + run + "-producer"));
            PhaseProfile consumerProfile = PhaseProfile.startIfAsked("consumer", consumer.pid(),
                    logs.resolve("ferry-" + run + "-consumer"));
            PhaseProfile brokerProfile = PhaseProfile.startIfAsked("broker and benchmark",
                    ProcessHandle.current().pid(), logs.resolve("ferry-" + run + "-broker"));
            drop(source, inbox, names, batch ? "batch" : null);
            awaitDelivered(outbox, names, Duration.ofMinutes(20));
            double brokerCpu = cpuSeconds(ProcessHandle.current().pid()) - brokerIdleCpu;
            double machineCpu = machineCpuSeconds() - machineIdleCpu;
            // Taken with the machine's, before the files are compared: every figure covers the same seconds.
            double producerCpu = cpuSeconds(producer.pid()) - producerIdleCpu;
            double consumerCpu = cpuSeconds(consumer.pid()) - consumerIdleCpu;
            double jit = jitCpu(producer, consumer) - jitBefore;
            if (producerProfile != null) {
                producerProfile.stopAndPrint();
                consumerProfile.stopAndPrint();
                brokerProfile.stopAndPrint();
            }
            for (String name : names) {
                if (!TestFiles.sha256(outbox.resolve(name)).equals(TestFiles.sha256(inbox.resolve(name)))) {
                    throw new IllegalStateException("Benchmark run " + run + ": " + name + " differs");
                }
            }
            Usage producerUsage = usage(producer.pid(), producerGc, producerCpu);
            Usage consumerUsage = usage(consumer.pid(), consumerGc, consumerCpu);
            for (String name : warmedUp) {
                Files.delete(inbox.resolve(name));
                Files.delete(outbox.resolve(name));
            }
            producer.stop(Duration.ofSeconds(30));
            consumer.stop(Duration.ofSeconds(30));
            double seconds = between(firstLine(producerLog, MEASURED_SENDING),
                    lastLine(consumerLog, MEASURED_DELIVERED));
            double mbs = count * size / 1e6 / seconds;
            double gib = count * (double) size / (1L << 30);
            System.out.printf(
                    "ferry   chunk %8d  %5d x %8d KiB  %7.2f s  %7.1f MB/s  %7.0f files/s  cpu s/GiB: producer %.1f, "
                            + "consumer %.1f, broker+bench %.1f, whole machine %.1f; JIT %.1f s; heap after GC %d, %d MiB (full GC %s, %s); "
                            + "peak RSS %d, %d MiB; CPU probe %.0f MB/s%n",
                    chunkSize, count, size / KiB, seconds, mbs, count / seconds, producerUsage.cpuSeconds() / gib,
                    consumerUsage.cpuSeconds() / gib, brokerCpu / gib, machineCpu / gib, jit,
                    producerUsage.liveHeapMiB(), consumerUsage.liveHeapMiB(), producerUsage.afterFullGc(),
                    consumerUsage.afterFullGc(), producerUsage.peakRssMiB(), consumerUsage.peakRssMiB(), probe);
            return new Result(mbs, count / seconds, producerUsage, consumerUsage, brokerCpu);
        } finally {
            deleteTree(dir);
            deleteTopics(topic, topic + "-dlq");
        }
    }

    /**
     * Moves 300 files of 1 MiB, a folder of 2000 files of 4 KiB and one of 512 MiB before the clock starts. Ferry is a
     * long-running service: what matters is its steady state on each shape of work, not the JIT compiler's first
     * seconds (which cost more CPU than the transfer on 2 cores). The perf tools get no warm-up, which favours the
     * baseline if anything. The files are deleted after the measured run, not before: on an ext4 without a journal
     * (this VM's) every file created within about 30 s of thousands of deletions pays for a scan of recently freed
     * inodes, which would measure the file system's allocator instead of Ferry.
     *
     * @return the warm-up files, relative to inbox and outbox
     */
    private List<String> warmUp(Path source, Path inbox, Path outbox) throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            names.add("warmup-" + i + ".bin");
        }
        names.add("warmup-big.bin");
        for (String name : names) {
            TestFiles.random(source.resolve(name), name.endsWith("big.bin") ? 512 * MiB : MiB, name.hashCode());
            Files.move(source.resolve(name), inbox.resolve(name));
        }
        List<String> small = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            small.add("warmup-small/w" + i + ".bin");
            Files.createDirectories(source.resolve(small.get(i)).getParent());
            TestFiles.random(source.resolve(small.get(i)), 4 * KiB, i);
        }
        Files.move(source.resolve("warmup-small"), inbox.resolve("warmup-small"));
        names.addAll(small);
        waitFor(Duration.ofMinutes(5), "warm-up delivered",
                () -> names.stream().allMatch(n -> Files.exists(outbox.resolve(n))));
        return names;
    }

    /**
     * Moves the measured workload's shape until the JIT compilers are (nearly) done with it: at least once, then again
     * while the compiler threads of Ferry's two processes and of the broker's JVM used more than
     * {@link #JIT_QUIET_SHARE} of the round's CPU, at most {@link #MAX_SHAPE_ROUNDS} times. One round was not enough: a
     * method called once per file or per chunk reaches C2's threshold (about 5000 calls) near the end of a round of
     * 5000 small files or of a 2 GiB file, so C2 still compiled in the measured phase what a long-running service
     * compiled long ago (same hour, one round against four: 5000 small files 426 and 468 against 1063 and 882 files/s,
     * one 2 GiB file 85 and 116 against 189 and 156 MB/s). The compilers' CPU is read per thread from {@code /proc};
     * the JVMs' own {@code java.ci.totalTime} adds up each compilation's wall-clock time, which on 2 busy cores counts
     * waiting for a core.
     *
     * @return the files, relative to inbox and outbox
     */
    private List<String> warmUpUntilCompiled(Path source, Path inbox, Path outbox, int count, long size, boolean batch,
            FerryProcess producer, FerryProcess consumer) throws Exception {
        List<String> kept = new ArrayList<>();
        long[] pids = { producer.pid(), consumer.pid(), ProcessHandle.current().pid() };
        for (int round = 1;; round++) {
            double[] cpuBefore = new double[3];
            double[] jitBefore = new double[3];
            for (int i = 0; i < 3; i++) {
                cpuBefore[i] = cpuSeconds(pids[i]);
                jitBefore[i] = PhaseProfile.compilerCpu(pids[i]);
            }
            long started = System.nanoTime();
            List<String> names = warmUpSameShape(source, inbox, outbox, count, size, batch, round);
            double seconds = (System.nanoTime() - started) / 1e9;
            double[] cpuEach = new double[3];
            double[] jitEach = new double[3];
            for (int i = 0; i < 3; i++) {
                cpuEach[i] = cpuSeconds(pids[i]) - cpuBefore[i];
                jitEach[i] = PhaseProfile.compilerCpu(pids[i]) - jitBefore[i];
            }
            double cpu = cpuEach[0] + cpuEach[1] + cpuEach[2];
            double jit = jitEach[0] + jitEach[1] + jitEach[2];
            System.out.printf(
                    "warm-up round %d with the measured shape: %.1f s, %.1f CPU-s (producer %.1f, consumer %.1f, "
                            + "broker+bench %.1f), of which JIT compilers %.1f (%.0f%%; producer %.1f, consumer %.1f)%n",
                    round, seconds, cpu, cpuEach[0], cpuEach[1], cpuEach[2], jit, 100 * jit / cpu, jitEach[0],
                    jitEach[1]);
            if (count == 1 && round > 1) {
                // One large file: disk, not inodes; the first round's stays until after the measured run. Many files
                // stay too: thousands of deletions would slow the measured run's file creations (see warmUp).
                for (String name : names) {
                    Files.delete(inbox.resolve(name));
                    Files.delete(outbox.resolve(name));
                }
            } else {
                kept.addAll(names);
            }
            if (jit <= JIT_QUIET_SHARE * cpu || round >= MAX_SHAPE_ROUNDS) {
                return kept;
            }
        }
    }

    /** CPU seconds the JIT compiler threads of both Ferry processes and of this JVM (the broker's) used so far. */
    private static double jitCpu(FerryProcess producer, FerryProcess consumer) throws IOException {
        return PhaseProfile.compilerCpu(producer.pid()) + PhaseProfile.compilerCpu(consumer.pid())
                + PhaseProfile.compilerCpu(ProcessHandle.current().pid());
    }

    /**
     * One round of the measured workload's shape before it is measured (as many files, as large, dropped the same way):
     * without it, the JIT compilers were still compiling in the measured phase what a long-running service compiled
     * long ago. For 1000 files of 1 MiB C2 took 3.6 s of the producer's 8.3 s; for one 2 GiB file, whose per-chunk code
     * the general warm-up runs only about 1600 times (C2 takes a method at about 5000 calls), C2 took 17-18 CPU-s of
     * the three JVMs' measured phase, 7-9 s after this, and the file moved at 91-105 MB/s instead of 72-77 (same hour).
     *
     * @return the files, relative to inbox and outbox
     */
    private List<String> warmUpSameShape(Path source, Path inbox, Path outbox, int count, long size, boolean batch,
            int round) throws Exception {
        // Named so that the measured run's log patterns (f0.bin, f1.bin, ...) do not match them.
        String folder = "again" + (round == 1 ? "" : round);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = folder + (batch ? "/" : "-") + "w" + i + ".bin";
            Files.createDirectories(source.resolve(name).getParent());
            TestFiles.random(source.resolve(name), size, -1 - i - round * 100_000L);
            names.add(name);
        }
        drop(source, inbox, names, batch ? folder : null);
        awaitDelivered(outbox, names, Duration.ofMinutes(10));
        return names;
    }

    /** Moves files into the inbox: {@code folder} renamed in at once (as a batch usually arrives), else one by one. */
    private static void drop(Path source, Path inbox, List<String> names, String folder) throws IOException {
        if (folder != null) {
            Files.move(source.resolve(folder), inbox.resolve(folder));
        } else {
            for (String name : names) {
                Files.move(source.resolve(name), inbox.resolve(name));
            }
        }
    }

    /**
     * Waits until every one of {@code names} is in {@code outbox}. Checked in order from the first file not there yet:
     * polling every file each time would cost the broker (same process) CPU in proportion to the file count.
     */
    private static void awaitDelivered(Path outbox, List<String> names, Duration limit) throws Exception {
        int[] arrived = { 0 };
        waitFor(limit, names.size() + " files delivered", () -> {
            while (arrived[0] < names.size() && Files.exists(outbox.resolve(names.get(arrived[0])))) {
                arrived[0]++;
            }
            return arrived[0] == names.size();
        });
    }

    /**
     * JVM options of Ferry's processes beside the image's ({@code -Dbench.jvm} adds some, separated by commas, spaces
     * or, when an option has commas of its own, semicolons; profiling: {@link PhaseProfile}).
     */
    private String[] jvm(Path gcLog) {
        List<String> options = new ArrayList<>(List.of("-Xmx256m", "-Xlog:gc:file=" + gcLog));
        String extra = System.getProperty("bench.jvm", "");
        if (!extra.isBlank()) {
            // Commas make one word for BENCH_OPTS; semicolons when an option has commas of its own (a profiler agent).
            options.addAll(List.of(extra.trim().split(extra.contains(";") ? ";" : "[,\\s]+")));
        }
        return options.toArray(String[]::new);
    }

    /** Kafka's producer-perf and consumer-perf tools at the same time, same record size and bytes. */
    Result raw(int recordSize, long totalBytes) throws Exception {
        int run = ++runs;
        pageCache.fill();
        String topic = "raw-bench-" + run;
        long records = totalBytes / recordSize;
        int maxRecord = WireFormat.maxRecordBytes(recordSize);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1)
                    .configs(Map.of("max.message.bytes", Integer.toString(maxRecord))))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        Path consumerLog = logs.resolve("raw-" + run + "-consumer.log");
        Path producerLog = logs.resolve("raw-" + run + "-producer.log");
        Path consumerConfig = work.resolve("raw-" + run + "-consumer.properties");
        Files.writeString(consumerConfig, "max.partition.fetch.bytes=" + 2 * maxRecord + "\n");
        String group = "raw-" + run;
        // Before consumer-perf's JVM starts: its start-up would compete with the probe.
        double probe = CpuProbe.sha256MbPerSecond();
        Process consumer = tool(consumerLog, "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server",
                broker.bootstrapServers(), "--topic", topic, "--messages", Long.toString(records), "--group", group,
                "--timeout", "120000", "--consumer.config", consumerConfig.toString(), "--show-detailed-stats",
                "--reporting-interval", "500");
        try {
            waitFor(Duration.ofSeconds(60), "consumer-perf joined", () -> groupStable(group));
            // The clock starts when the first record lands, as Ferry's starts when it begins sending: the tools'
            // JVM start-up is not part of the pipe.
            CompletableFuture<Long> firstRecord = CompletableFuture.supplyAsync(() -> awaitFirstRecord(topic));
            double machineBefore = machineCpuSeconds(); // producer-perf's JVM start-up included
            Process producer = tool(producerLog, "org.apache.kafka.tools.ProducerPerformance", "--topic", topic,
                    "--num-records", Long.toString(records), "--record-size", Integer.toString(recordSize),
                    "--throughput", "-1", "--producer-props", "bootstrap.servers=" + broker.bootstrapServers(),
                    "acks=all", "enable.idempotence=true", "linger.ms=5", "max.request.size=" + maxRecord);
            if (!consumer.waitFor(20, TimeUnit.MINUTES) || consumer.exitValue() != 0) {
                throw new IllegalStateException("consumer-perf failed, see " + consumerLog);
            }
            double seconds = (System.nanoTime() - firstRecord.get(1, TimeUnit.MINUTES)) / 1e9;
            double machineCpu = machineCpuSeconds() - machineBefore;
            producer.waitFor(1, TimeUnit.MINUTES);
            double wallMbs = records * (double) recordSize / 1e6 / seconds;
            double mbs = steadyMbPerSecond(consumerLog, records * (double) recordSize / 1e6);
            System.out.printf(
                    "raw     chunk %8d  %5d records     %7.2f s  %7.1f MB/s (steady state: %.1f MB/s); cpu s/GiB: whole "
                            + "machine %.1f; CPU probe %.0f MB/s%n",
                    recordSize, records, seconds, wallMbs, mbs,
                    machineCpu / (records * (double) recordSize / (1L << 30)), probe);
            return new Result(mbs, null, null);
        } finally {
            consumer.destroyForcibly();
            deleteTopics(topic);
        }
    }

    private long awaitFirstRecord(String topic) {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 6; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (System.nanoTime() < deadline) {
                long end = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS).values().stream()
                        .mapToLong(i -> i.offset()).sum();
                if (end > 0) {
                    return System.nanoTime();
                }
            }
            throw new IllegalStateException("producer-perf wrote nothing to " + topic + " within a minute");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The raw pipe's steady-state rate from consumer-perf's progress reports, from the report where a quarter of the
     * data had arrived to the last one: the tools run in fresh JVMs, and Ferry is measured after a warm-up, so neither
     * side is charged for the JIT compiler's first seconds.
     */
    static double steadyMbPerSecond(Path consumerLog, double totalMb) throws IOException {
        Pattern report = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d:\\d{3}), (\\d+), ([0-9.]+),");
        DateTimeFormatter format = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss:SSS");
        LocalDateTime fromTime = null;
        double fromMb = 0;
        LocalDateTime lastTime = null;
        double lastMb = 0;
        for (String l : Files.readAllLines(consumerLog)) {
            Matcher m = report.matcher(l);
            if (!m.find()) {
                continue;
            }
            LocalDateTime t = LocalDateTime.parse(m.group(1), format);
            double mb = Double.parseDouble(m.group(3));
            if (fromTime == null && mb >= totalMb / 4) {
                fromTime = t;
                fromMb = mb;
            }
            lastTime = t;
            lastMb = mb;
        }
        if (fromTime == null || lastTime == null || !lastTime.isAfter(fromTime)) {
            throw new IllegalStateException("Too few progress reports in " + consumerLog);
        }
        // consumer-perf reports decimal megabytes of 2^20 bytes; convert to MB of 10^6 like every other figure here
        return (lastMb - fromMb) * 1.048576 / (Duration.between(fromTime, lastTime).toMillis() / 1000.0);
    }

    private Process tool(Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp",
                        classPath, KafkaLogging.class.getName(), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private boolean groupStable(String group) {
        try (Admin admin = admin()) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS)
                    .get(group);
            return d.groupState() == GroupState.STABLE && !d.members().isEmpty()
                    && !d.members().iterator().next().assignment().topicPartitions().isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()));
    }

    private void deleteTopics(String... topics) {
        try (Admin admin = admin()) {
            admin.deleteTopics(List.of(topics)).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.out.println("Could not delete " + List.of(topics) + ": " + e);
        }
    }

    /** CPU time of a process: utime + stime, fields 14 and 15 of /proc/PID/stat, in ticks of 1/100 s. */
    /**
     * CPU seconds the whole machine spent busy since boot (user, nice, system, irq, softirq of {@code /proc/stat}), the
     * kernel's own threads included: a file's pages written back by the flusher threads are charged to no process,
     * while an {@code fdatasync} charges the thread that calls it.
     */
    private static double machineCpuSeconds() throws IOException {
        String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i : new int[] { 1, 2, 3, 6, 7 }) {
            busy += Long.parseLong(fields[i]);
        }
        return busy / 100.0;
    }

    private static double cpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
    }

    /** Memory peaks, with {@code cpuSpent}, the CPU seconds of the measured phase (start-up is not the transfer's). */
    private static Usage usage(long pid, Path gcLog, double cpuSpent) throws IOException {
        long rssKb = 0;
        for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (l.startsWith("VmHWM:")) {
                rssKb = Long.parseLong(l.replaceAll("\\D", ""));
            }
        }
        Pattern heap = Pattern.compile("(\\d+)M->(\\d+)M\\(\\d+M\\)");
        long peak = 0;
        long live = 0;
        long full = -1;
        for (String l : Files.readAllLines(gcLog)) {
            Matcher m = heap.matcher(l);
            // Only collections: a Remark or Cleanup line also shows "before->after" but frees nothing, so its
            // "after" is not what survives a collection.
            if ((l.contains("Pause Young") || l.contains("Pause Full")) && m.find()) {
                peak = Math.max(peak, Long.parseLong(m.group(1)));
                live = Math.max(live, Long.parseLong(m.group(2)));
                if (l.contains("Pause Full") && !l.contains("Metadata GC Threshold")) {
                    full = Math.max(full, Long.parseLong(m.group(2)));
                }
            }
        }
        return new Usage(peak, live, full, rssKb / 1024, cpuSpent);
    }

    private static LocalDateTime firstLine(Path log, Pattern marker) throws IOException {
        for (String l : ProcessLog.text(log).split("\n")) {
            if (marker.matcher(l).find()) {
                return time(l);
            }
        }
        throw new IllegalStateException("No line with '" + marker + "' in " + log);
    }

    private static LocalDateTime lastLine(Path log, Pattern marker) throws IOException {
        LocalDateTime last = null;
        for (String l : ProcessLog.text(log).split("\n")) {
            if (marker.matcher(l).find()) {
                last = time(l);
            }
        }
        if (last == null) {
            throw new IllegalStateException("No line with '" + marker + "' in " + log);
        }
        return last;
    }

    /** The time stamp of a Ferry log line (JSON records have ISO instants) or a Kafka tool's line. */
    private static LocalDateTime time(String line) {
        if (line.matches("^\\d{4}-\\d\\d-\\d\\dT.*")) {
            return LocalDateTime.ofInstant(Instant.parse(line.substring(0, line.indexOf(' '))), ZoneOffset.UTC);
        }
        Matcher m = LOG_TIME.matcher(line);
        if (!m.find()) {
            throw new IllegalStateException("No time stamp in: " + line);
        }
        return LocalDateTime.parse(m.group(1), LOG_FORMAT);
    }

    private static double between(LocalDateTime from, LocalDateTime to) {
        return Math.max(0.001, Duration.between(from, to).toMillis() / 1000.0);
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(Duration limit, String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out after " + limit + " waiting for: " + what);
            }
            TimeUnit.MILLISECONDS.sleep(50); // polling a condition with a limit, not a fixed wait
        }
    }

    /**
     * Ferry against the raw pipe measured just before and just after it, the ratio against their mean: the machine's
     * speed drifts within minutes (see {@link CpuProbe}), and one raw run on either side charged the drift to the ratio
     * (0.63 to 1.21 for the same build within an hour, 2026-12-02).
     */
    private void bracketed(String workload, int chunkSize, int count, long size) throws Exception {
        Result before = raw(chunkSize, count * size);
        Result ferry = ferry(chunkSize, count, size, List.of());
        Result after = raw(chunkSize, count * size);
        double raw = (before.mbPerSecond + after.mbPerSecond) / 2;
        line(String.format("| %s | %.1f | %.1f (%.1f, %.1f) | %.0f%% |", workload, ferry.mbPerSecond, raw,
                before.mbPerSecond, after.mbPerSecond, 100 * ferry.mbPerSecond / raw));
    }

    private void row(String workload, Result ferry, Result raw) {
        line(String.format("| %s | %.1f | %.1f | %.0f%% |", workload, ferry.mbPerSecond, raw.mbPerSecond,
                100 * ferry.mbPerSecond / raw.mbPerSecond));
    }

    private void line(String s) {
        report.append(s).append('\n');
        System.out.println(s);
    }

    private static String machine() throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
        long memory = PageCache.memInfoBytes("MemTotal");
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), "
                + Math.round(memory / (double) (1L << 30)) + " GiB RAM, Java " + System.getProperty("java.version")
                + ", Kafka 4.1.1 (one broker, KRaft), " + System.getProperty("os.name") + " "
                + System.getProperty("os.version");
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
