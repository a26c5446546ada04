package dev.ferry.stream.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.ferry.DaemonThreads;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.StartupOrder;
import dev.ferry.kafka.KafkaClients;
import dev.ferry.kafka.TopicProvisioner;
import dev.ferry.stream.FrameFormat;
import dev.ferry.stream.StreamCatalog;
import dev.ferry.stream.StreamInfo;
import dev.ferry.trust.KeyRing;
import dev.ferry.trust.RecordSignatures;

/**
 * The producer's streams: watches {@code ferry.streams.inbox} for videos and folders of images, and streams each one
 * once it has settled (unchanged for {@code ferry.settle-time}), as the stream named after it without extension. A
 * source that cannot be streamed fails with a log line and a {@code failed} state in {@code /api/streams}; it is tried
 * again only when it changes. A restart resumes a stream after its acknowledged frames.
 */
@ApplicationScoped
public class StreamService {

    private static final Logger LOG = Logger.getLogger(StreamService.class);
    private static final int STREAMS_AT_ONCE = 4;

    @Inject
    FerryConfig config;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    @Inject
    StreamCatalog catalog;

    @Inject
    TopicProvisioner topics;

    @Inject
    KeyRing keys;

    @Inject
    MeterRegistry registry;

    private Path inbox;
    private StreamLedger ledger;
    private Producer<String, byte[]> frames;
    private Producer<String, String> announcements;
    private ScheduledExecutorService scanner;
    private ExecutorService senders;
    /** Each entry's fingerprint and since when (nanos) it has not changed. */
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final Set<String> active = ConcurrentHashMap.newKeySet();
    private final Map<String, StreamSender> running = new ConcurrentHashMap<>();
    /** Streams playing behind their pace now ({@code ferry_streams_behind}). */
    private final Set<String> lagging = ConcurrentHashMap.newKeySet();

    void start(@Observes @Priority(StartupOrder.PRODUCER) StartupEvent event) throws IOException, InterruptedException {
        if (config.role().isEmpty() || !config.role().get().produces() || config.streams().inbox().isEmpty()) {
            return;
        }
        inbox = Files.createDirectories(config.streams().inbox().get());
        Path state = config.requiredStateDir();
        VideoFrames.prepareNatives(
                Files.createDirectories(config.streams().nativeCache().orElse(state.resolve("native"))));
        StreamTopics.ensure(topics, config);
        ledger = new StreamLedger(state.resolve("streams.json"));
        frames = new KafkaProducer<>(
                KafkaClients.frameProducer(kafka, "ferry-frames", FrameFormat.MAX_FRAME_BYTES + 1024));
        announcements = new KafkaProducer<>(KafkaClients.durableProducer(kafka, "ferry-stream-announcements"),
                new StringSerializer(), new StringSerializer());
        Gauge.builder("ferry.streams.behind", lagging, Set::size)
                .description("Streams playing behind their own frame rate now (encoding slower than the video)")
                .register(registry);
        senders = Executors.newFixedThreadPool(STREAMS_AT_ONCE, DaemonThreads.named("ferry-stream-sender"));
        scanner = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-stream-inbox"));
        scanner.scheduleWithFixedDelay(this::scan, 0, Math.max(200, config.producer().settleTime().toMillis() / 2),
                TimeUnit.MILLISECONDS);
        LOG.infof("Streams: watching %s for videos and image folders; frames to %s (%s, JPEG quality %.2f%s)", inbox,
                config.streams().topic(),
                config.streams().pace() == FerryConfig.Pace.SOURCE ? "paced at the source rate"
                        : "as fast as Kafka takes them",
                config.streams().jpegQuality(),
                config.streams().maxWidth().map(w -> ", at most " + w + " px wide").orElse(""));
    }

    void stop(@Observes @Priority(StartupOrder.STOP_PRODUCER) ShutdownEvent event) throws InterruptedException {
        if (scanner == null) {
            return;
        }
        scanner.shutdownNow();
        running.values().forEach(StreamSender::stop);
        senders.shutdown();
        senders.awaitTermination(10, TimeUnit.SECONDS);
        frames.close(Duration.ofSeconds(5));
        announcements.close(Duration.ofSeconds(5));
    }

    /** Streams each source that has settled, is not streaming now and was not streamed in this version before. */
    private void scan() {
        try (Stream<Path> entries = Files.list(inbox)) {
            for (Path entry : entries.toList()) {
                String file = entry.getFileName().toString();
                if (file.startsWith(".") || file.endsWith(".part") || file.endsWith(".tmp")) {
                    continue;
                }
                String fingerprint = fingerprint(entry);
                String name = nameOf(entry);
                Seen last = seen.get(file);
                if (last == null || !last.fingerprint().equals(fingerprint)) {
                    seen.put(file, new Seen(fingerprint, System.nanoTime()));
                    continue;
                }
                boolean settled = System.nanoTime() - last.since() >= config.producer().settleTime().toNanos();
                if (!settled || active.contains(name)) {
                    continue;
                }
                StreamLedger.Entry known = ledger.get(name).orElse(null);
                if (known != null && known.done() && known.fingerprint().equals(fingerprint)) {
                    continue;
                }
                long skip = known != null && !known.done() && known.fingerprint().equals(fingerprint)
                        ? known.framesSent()
                        : 0;
                active.add(name);
                senders.execute(() -> {
                    try {
                        stream(name, entry, fingerprint, skip);
                    } finally {
                        active.remove(name);
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Cannot look into the streams inbox %s: %s", inbox, e.toString());
        }
    }

    private record Seen(String fingerprint, long since) {
    }

    private void stream(String name, Path entry, String fingerprint, long skip) {
        String source = entry.getFileName().toString();
        AtomicReference<StreamInfo> latest = new AtomicReference<>(StreamInfo.starting(name, source));
        StreamSender sender = new StreamSender(frames, config.streams().topic(),
                config.streams().pace() == FerryConfig.Pace.SOURCE);
        running.put(name, sender);
        long started = System.nanoTime();
        try (FrameSource frames = open(entry);
                JpegEncoder jpeg = new JpegEncoder(config.streams().jpegQuality(),
                        config.streams().maxWidth().map(OptionalInt::of).orElse(OptionalInt.empty()))) {
            int[] size = jpeg.outputSize(frames.width(), frames.height());
            StreamInfo info = latest.get().format(frames.frameRate(), size[0], size[1]);
            latest.set(info);
            announce(info);
            LOG.infof("Stream %s: %s, %dx%d at %.2f fps%s%s", name, source, frames.width(), frames.height(),
                    frames.frameRate(),
                    frames.expectedFrames().isPresent() ? ", " + frames.expectedFrames().getAsLong() + " frames" : "",
                    skip > 0 ? "; resuming after frame " + (skip - 1) : "");
            StreamInfo end = sender.send(info, frames, jpeg, skip, (now, acked) -> {
                boolean wasBehind = latest.get().behind() > 0;
                if (now.behind() > 0 && !wasBehind) {
                    lagging.add(name);
                    LOG.warnf(
                            "Stream %s: %.1f s behind its %.2f fps: decoding and encoding take longer than the "
                                    + "video plays (%dx%d; ferry.streams.max-width or a lower frame rate helps)",
                            name, now.behind(), now.fps(), now.width(), now.height());
                } else if (now.behind() == 0 && wasBehind) {
                    lagging.remove(name);
                    LOG.infof("Stream %s: keeps its pace again", name);
                }
                latest.set(now);
                announce(now);
                record(name, fingerprint, acked, false);
            });
            if (end.state() == StreamInfo.State.ENDED) {
                announce(end);
                record(name, fingerprint, end.frames(), true);
                double seconds = (System.nanoTime() - started) / 1e9;
                LOG.infof("Stream %s: ended, %d frames in %.1f s (%.1f fps sent)", name, end.frames(), seconds,
                        (end.frames() - skip) / Math.max(1e-3, seconds));
            }
        } catch (BadSourceException e) {
            LOG.errorf("Stream %s (%s) failed: %s. Replace the file to try again.", name, source, e.getMessage());
            announce(latest.get().failed(e.getMessage()));
            record(name, fingerprint, 0, true);
        } catch (IOException | RuntimeException e) {
            // Kafka or the disk, not the source: tried again at the next scan, resuming after what was acknowledged.
            LOG.errorf("Stream %s (%s) interrupted: %s; retried", name, source, e.toString());
            announce(latest.get().failed(e.toString()));
            seen.remove(source);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            running.remove(name);
            lagging.remove(name);
        }
    }

    private FrameSource open(Path entry) throws BadSourceException, IOException {
        if (Files.isDirectory(entry)) {
            return ImageFolderFrames.open(entry, config.streams().imageFrameRate());
        }
        return VideoFrames.open(entry);
    }

    private void announce(StreamInfo info) {
        catalog.update(info);
        String topic = FrameFormat.announcementsTopic(config.streams().topic());
        String json = info.toJson();
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, info.name(), json);
        RecordSignatures.sign(keys, StreamCatalog.SIGNATURE_DOMAIN, topic, info.name(),
                json.getBytes(StandardCharsets.UTF_8), record.headers());
        announcements.send(record, (metadata, e) -> {
            if (e != null) {
                LOG.warnf("Stream %s: announcement not sent: %s", info.name(), e.toString());
            }
        });
    }

    private void record(String name, String fingerprint, long frames, boolean done) {
        try {
            ledger.record(name, new StreamLedger.Entry(fingerprint, frames, done));
        } catch (IOException e) {
            LOG.warnf("Stream %s: progress not recorded (a restart streams it again from the start): %s", name,
                    e.toString());
        }
    }

    /** The stream's name: the file name without its extension (a folder's name as it is). */
    static String nameOf(Path entry) {
        String file = entry.getFileName().toString();
        int dot = file.lastIndexOf('.');
        return Files.isDirectory(entry) || dot <= 0 ? file : file.substring(0, dot);
    }

    /** Size and modification time of a file; of a folder, those of its images. */
    private static String fingerprint(Path entry) throws IOException {
        if (!Files.isDirectory(entry)) {
            return Files.size(entry) + "@" + Files.getLastModifiedTime(entry).toMillis();
        }
        long count = 0;
        long size = 0;
        long newest = 0;
        try (Stream<Path> files = Files.list(entry)) {
            for (Path f : files.filter(ImageFolderFrames::isImage).toList()) {
                count++;
                size += Files.size(f);
                newest = Math.max(newest, Files.getLastModifiedTime(f).toMillis());
            }
        }
        return count + "/" + size + "@" + newest;
    }

}
