package dev.ferry.stream.view;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

import dev.ferry.stream.FrameFormat;
import dev.ferry.stream.StreamInfo;

/**
 * One viewer of one stream: reads the stream's partition with its own consumer (assign and seek, never a group
 * subscription, so every viewer gets every frame at its own position), keeps only the stream's frames, plays them at
 * the pace of their presentation times, and keeps its position as the committed offset of its own group
 * ({@code ferry-viewer.<viewer>.<stream>}), so a reload resumes where it left off.
 */
final class Viewer implements Runnable {

    private static final Logger LOG = Logger.getLogger(Viewer.class);
    private static final long COMMIT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A frame sent less than this long ago is live: shown as it comes, not paced again. */
    private static final long LIVE_MILLIS = 1_000;

    enum From {
        /** Where this viewer left off (the start, the first time). */
        RESUME,
        /** The stream's first frame. */
        START,
        /** The latest frame, then whatever comes. */
        LIVE
    }

    private final String stream;
    private final String viewer;
    private final String topic;
    private final StreamInfo known;
    private final From from;
    private final Consumer<String, byte[]> consumer;
    private final FrameSink sink;
    private final ViewerStats stats;

    Viewer(String stream, String viewer, String topic, StreamInfo known, From from, Consumer<String, byte[]> consumer,
            FrameSink sink, ViewerStats stats) {
        this.stream = stream;
        this.viewer = viewer;
        this.topic = topic;
        this.known = known;
        this.from = from;
        this.consumer = consumer;
        this.sink = sink;
        this.stats = stats;
    }

    static String groupOf(String viewer, String stream) {
        return "ferry-viewer." + viewer + "." + stream;
    }

    /** Stops a viewer blocked in a poll (its client went away). */
    void wake() {
        consumer.wakeup();
    }

    @Override
    public void run() {
        TopicPartition partition = partition();
        long position = -1;
        long committed = -1;
        try {
            consumer.assign(List.of(partition));
            position = startAt(partition);
            consumer.seek(partition, position);
            LOG.infof("Viewer %s of stream %s: from %s, offset %d of %s", viewer, stream, from.name().toLowerCase(),
                    position, partition);
            long lastCommit = System.nanoTime();
            long clockStart = -1;
            long clockPts = 0;
            long lastPts = Long.MIN_VALUE;
            while (sink.isOpen()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    OptionalLong pts = FrameFormat.number(r.headers(), FrameFormat.PTS_US);
                    OptionalLong index = FrameFormat.number(r.headers(), FrameFormat.FRAME);
                    if (!stream.equals(r.key()) || pts.isEmpty() || index.isEmpty() || r.value() == null) {
                        position = r.offset() + 1;
                        continue; // another stream on the same partition, or not a frame
                    }
                    long now = System.nanoTime();
                    long due = clockStart + TimeUnit.MICROSECONDS.toNanos(pts.getAsLong() - clockPts);
                    boolean justSent = System.currentTimeMillis() - r.timestamp() < LIVE_MILLIS;
                    if (clockStart < 0 || justSent || pts.getAsLong() < lastPts || now > due) {
                        // The clock starts again at this frame, which is shown at once: the first frame; a frame
                        // just sent (the producer paces a live stream itself, so waiting would only add latency);
                        // the stream started over; or a frame later than its time (a slow client, a stalled
                        // producer: nobody is rushed to catch up). Only frames read ahead of their time, a replay
                        // from the topic, wait for it.
                        clockStart = now;
                        clockPts = pts.getAsLong();
                        due = now;
                    }
                    lastPts = pts.getAsLong();
                    if (due > now) {
                        TimeUnit.NANOSECONDS.sleep(due - now);
                    }
                    sink.write(index.getAsLong(), pts.getAsLong(), r.timestamp(), r.value());
                    position = r.offset() + 1; // kept only once the client has the frame
                    stats.served(index.getAsLong(), r.timestamp());
                    if (!sink.isOpen()) {
                        break;
                    }
                }
                if (System.nanoTime() - lastCommit >= COMMIT_EVERY_NANOS && position != committed) {
                    commit(partition, position);
                    committed = position;
                    lastCommit = System.nanoTime();
                }
            }
        } catch (WakeupException | IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warnf("Viewer %s of stream %s stopped: %s", viewer, stream, e.toString());
        } finally {
            if (position >= 0 && position != committed) {
                try {
                    commit(partition, position);
                } catch (RuntimeException e) {
                    LOG.warnf("Viewer %s of stream %s: position %d not kept: %s", viewer, stream, position,
                            e.toString());
                }
            }
            consumer.close(Duration.ofSeconds(2));
            LOG.infof("Viewer %s of stream %s left: %s", viewer, stream, stats.summary());
        }
    }

    private void commit(TopicPartition partition, long position) {
        Map<TopicPartition, OffsetAndMetadata> offsets = Map.of(partition, new OffsetAndMetadata(position));
        try {
            consumer.commitSync(offsets, Duration.ofSeconds(5));
        } catch (WakeupException e) {
            // The wake-up that ended the viewer surfaced here instead of in a poll; it is spent now.
            consumer.commitSync(offsets, Duration.ofSeconds(5));
        }
    }

    /** The stream's partition, as announced, or as Kafka's default partitioner puts its key. */
    private TopicPartition partition() {
        if (known != null && known.partition() >= 0) {
            return new TopicPartition(topic, known.partition());
        }
        int partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).size();
        return new TopicPartition(topic,
                Utils.toPositive(Utils.murmur2(stream.getBytes(StandardCharsets.UTF_8))) % partitions);
    }

    private long startAt(TopicPartition partition) {
        long beginning = consumer.beginningOffsets(List.of(partition)).get(partition);
        long end = consumer.endOffsets(List.of(partition)).get(partition);
        long first = known != null && known.firstOffset() >= 0 ? Math.max(beginning, known.firstOffset()) : beginning;
        return switch (from) {
            case START -> first;
            // A stream still being sent: the next frame to come; one that ended: its last frame.
            case LIVE -> known != null && known.state() != StreamInfo.State.STREAMING && known.lastOffset() >= first
                    ? known.lastOffset()
                    : end;
            case RESUME -> {
                OffsetAndMetadata kept = consumer.committed(Set.of(partition), Duration.ofSeconds(5)).get(partition);
                // A position from before the stream's current run (or aged out of the topic) starts it over.
                yield kept != null && kept.offset() >= first && kept.offset() <= end ? kept.offset() : first;
            }
        };
    }
}
