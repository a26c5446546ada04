package dev.ferry.bench;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.awaitility.Awaitility;

import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;
import dev.ferry.testing.MjpegClient;
import dev.ferry.testing.ProcessLog;
import dev.ferry.testing.TestVideos;

/**
 * Frame rate and latency of streams; run it with {@code bench/streams.sh}. Not a test: it prints figures and writes
 * docs/stream-benchmarks.md. The broker runs in this JVM, the producer and the consumer are the packaged application
 * (two processes, -Xmx256m each), all on this machine.
 * <ol>
 * <li>Fast: a 720p video sent with {@code ferry.streams.pace=fast}: how many frames a second the producer decodes,
 * encodes and gets acknowledged.</li>
 * <li>Live: the same video paced at its 30 fps while a viewer on the consumer follows it ({@code ?from=live}): the
 * frame rate it receives, and the latency from each frame's send to its arrival at the HTTP client.</li>
 * </ol>
 */
public final class StreamBenchmark {

    static final int WIDTH = Integer.getInteger("bench.width", 1280);
    static final int HEIGHT = Integer.getInteger("bench.height", 720);
    static final int FPS = 30;
    static final Pattern ENDED = Pattern.compile("Stream (\\S+): ended, (\\d+) frames in ([\\d.]+) s \\(([\\d.]+) fps");

    public static void main(String[] args) throws Exception {
        int frames = args.length > 0 && args[0].equals("quick") ? 150 : 600;
        Path work = Files.createTempDirectory(Path.of("target"), "stream-bench-");
        Path logs = Files.createDirectories(Path.of("target", "benchmark"));
        Path video = TestVideos.record(work.resolve("source.mp4"), "mp4", frames, FPS, WIDTH, HEIGHT);
        StringBuilder report = new StringBuilder();
        try (KafkaBroker broker = KafkaBroker.start()) {
            Map<String, String> common = Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(),
                    "FERRY_REPLICATION_FACTOR", "1", "FERRY_MIN_INSYNC_REPLICAS", "1", "FERRY_SETTLE_TIME", "500ms");
            Map<String, String> consumerEnv = new HashMap<>(common);
            consumerEnv.putAll(Map.of("FERRY_OUTBOX", work.resolve("outbox").toString(), "FERRY_STATE_DIR",
                    work.resolve("c").toString(), "FERRY_GROUP_ID", "bench"));
            try (FerryProcess consumer = FerryProcess.startAsDeployed("consumer", consumerEnv,
                    logs.resolve("streams-consumer.log"), "-Xmx256m")) {
                double fast = producerRun(common, work, logs, video, "fast", "fast", null);
                Live live = new Live(consumer, frames);
                producerRun(common, work, logs, video, "live", "source", live);
                report.append(String.format("# Stream benchmarks%n%n"
                        + "Measured %s on %s (%d cores), `bench/streams.sh`: a %dx%d MPEG-4 video of %d frames at %d fps, "
                        + "made by the benchmark, JPEG quality 0.8. Broker in the benchmark JVM, producer and consumer "
                        + "as two processes at -Xmx256m, all on this machine.%n%n" + "| Case | Figure |%n|---|---|%n"
                        + "| fast: decode + JPEG + send, acknowledged | %.1f frames/s (%.1fx the video's %d fps) |%n"
                        + "| live: frames a viewer received (`?from=live`) | %d in %.1f s = %.1f fps |%n"
                        + "| live: latency send -> HTTP client, median | %d ms |%n"
                        + "| live: latency, p95 / max | %d ms / %d ms |%n%n"
                        + "The video's frames are flat colours (each encodes its index): they decode and compress "
                        + "faster than real footage, so the fast figure is an upper bound for this size. Latency is "
                        + "from the producer's send (the record's timestamp) to the frame's arrival at the HTTP "
                        + "client, same clock; a live viewer gets each frame as it comes, a replay is paced by the "
                        + "frames' presentation times. Reproduce: `bench/streams.sh` (about 2 minutes; "
                        + "`BENCH_OPTS=\"-Dbench.width=320 -Dbench.height=240\"` for another size).%n", LocalDate.now(),
                        System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                        Runtime.getRuntime().availableProcessors(), WIDTH, HEIGHT, frames, FPS, fast, fast / FPS, FPS,
                        live.count, live.seconds, live.count / live.seconds, live.percentile(50), live.percentile(95),
                        live.percentile(100)));
            }
        }
        System.out.print(report);
        Files.writeString(Path.of("docs", "stream-benchmarks.md"), report);
    }

    /** One producer streams the video once; returns the frame rate it reported. */
    private static double producerRun(Map<String, String> common, Path work, Path logs, Path video, String name,
            String pace, Live live) throws Exception {
        Path inbox = Files.createDirectories(work.resolve(name + "-streams"));
        Map<String, String> env = new HashMap<>(common);
        env.putAll(Map.of("FERRY_INBOX", work.resolve(name + "-inbox").toString(), "FERRY_STATE_DIR",
                work.resolve(name + "-p").toString(), "FERRY_STREAMS_INBOX", inbox.toString(), "FERRY_STREAMS_PACE",
                pace, "FERRY_STREAMS_NATIVE_CACHE", Path.of("target", "javacpp-cache").toAbsolutePath().toString()));
        Path log = logs.resolve("streams-producer-" + name + ".log");
        try (FerryProcess producer = FerryProcess.startAsDeployed("producer", env, log, "-Xmx256m")) {
            await(Duration.ofSeconds(60), () -> producer.get("/q/health/ready") == 200);
            Files.copy(video, inbox.resolve(".tmp-" + name));
            Files.move(inbox.resolve(".tmp-" + name), inbox.resolve(name + ".mp4"));
            if (live != null) {
                live.follow(name);
            }
            await(Duration.ofMinutes(5), () -> ProcessLog.text(log).contains("Stream " + name + ": ended"));
            Matcher m = ENDED.matcher(ProcessLog.text(log));
            if (!m.find()) {
                throw new IllegalStateException("no 'ended' line in " + log);
            }
            return Double.parseDouble(m.group(4));
        }
    }

    /** A viewer that follows a stream live on the consumer and times every frame. */
    private static final class Live {
        final FerryProcess consumer;
        final List<Long> latencies = new ArrayList<>();
        long count;
        double seconds;

        final long lastFrame;

        Live(FerryProcess consumer, long frames) {
            this.consumer = consumer;
            this.lastFrame = frames - 1;
        }

        void follow(String stream) throws Exception {
            await(Duration.ofSeconds(60), () -> consumer.get("/api/streams/" + stream) == 200);
            long started = System.nanoTime();
            try (MjpegClient client = new MjpegClient(new URL(
                    "http://localhost:" + consumer.port() + "/streams/" + stream + "/mjpeg?from=live&viewer=bench"),
                    FerryProcess.TOKEN)) {
                long last = -1;
                while (last < lastFrame) {
                    MjpegClient.Part part = client.next();
                    latencies.add(part.receivedMillis() - part.sentMillis());
                    count++;
                    last = part.frame();
                }
            } catch (IOException e) {
                // the stream ended
            }
            seconds = (System.nanoTime() - started) / 1e9;
            latencies.sort(null);
        }

        long percentile(int p) {
            return latencies.isEmpty() ? -1 : latencies.get(Math.min(latencies.size() - 1, latencies.size() * p / 100));
        }
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Duration limit, Condition condition) {
        Awaitility.await().atMost(limit).pollInterval(Duration.ofMillis(200)).until(condition::holds);
    }
}
