package dev.ferry.stream.view;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

import dev.ferry.stream.FrameFormat;
import dev.ferry.stream.StreamInfo;

/**
 * One viewer of one stream: reads the stream's partition with a consumer outside any group (assign and seek, so every
 * viewer gets every frame at its own position), keeps only the stream's frames, plays them at the pace of their
 * presentation times, and keeps its position in {@link ViewerPositions} (every second and when it leaves), so a reload
 * resumes where it left off.
 */
final class Viewer implements Runnable {

    private static final Logger LOG = Logger.getLogger(Viewer.class);
    private static final long KEEP_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

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
    private final ViewerPositions positions;
    private final ViewerPositions.Key key;
    private final String topic;
    private final StreamInfo known;
    /** The stream as announced now: a viewer that has sent the last frame of a stream that ended leaves. */
    private final Supplier<StreamInfo> latest;
    private final From from;
    private final Consumer<String, byte[]> consumer;
    private final FrameSink sink;
    private final ViewerStats stats;

    Viewer(ViewerPositions.Key key, ViewerPositions positions, String topic, StreamInfo known,
            Supplier<StreamInfo> latest, From from, Consumer<String, byte[]> consumer, FrameSink sink,
            ViewerStats stats) {
        this.latest = latest;
        this.key = key;
        this.positions = positions;
        this.stream = key.stream();
        this.viewer = key.owner() + "/" + key.viewer();
        this.topic = topic;
        this.known = known;
        this.from = from;
        this.consumer = consumer;
        this.sink = sink;
        this.stats = stats;
    }

    /** Stops a viewer blocked in a poll (its client went away). */
    void wake() {
        consumer.wakeup();
    }

    @Override
    public void run() {
        TopicPartition partition = partition();
        long position = -1;
        long kept = -1;
        try {
            consumer.assign(List.of(partition));
            position = startAt(partition);
            consumer.seek(partition, position);
            LOG.infof("Viewer %s of stream %s: from %s, offset %d of %s", viewer, stream, from.name().toLowerCase(),
                    position, partition);
            long lastKept = System.nanoTime();
            long clockStart = -1;
            long clockPts = 0;
            long lastPts = Long.MIN_VALUE;
            while (sink.isOpen()) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty() && isOver(position)) {
                    break; // the stream ended and its last frame was sent: the place is free for someone else
                }
                for (ConsumerRecord<String, byte[]> r : records) {
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
                if (System.nanoTime() - lastKept >= KEEP_EVERY_NANOS && position != kept) {
                    positions.put(key, position);
                    kept = position;
                    lastKept = System.nanoTime();
                }
            }
        } catch (WakeupException | IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warnf("Viewer %s of stream %s stopped: %s", viewer, stream, e.toString());
        } finally {
            if (position >= 0 && position != kept) {
                positions.put(key, position);
            }
            consumer.close(Duration.ofSeconds(2));
            LOG.infof("Viewer %s of stream %s left: %s", viewer, stream, stats.summary());
        }
    }

    /** Whether the stream ended (or failed) and everything up to its last frame was read. */
    private boolean isOver(long position) {
        StreamInfo now = latest.get();
        return now != null && now.state() != StreamInfo.State.STREAMING
                && (now.lastOffset() < 0 || position > now.lastOffset());
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
                OptionalLong kept = positions.get(key);
                // A position from before the stream's current run (or aged out of the topic) starts it over.
                yield kept.isPresent() && kept.getAsLong() >= first && kept.getAsLong() <= end ? kept.getAsLong()
                        : first;
            }
        };
    }
}
