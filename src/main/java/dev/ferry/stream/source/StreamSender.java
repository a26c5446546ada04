package dev.ferry.stream.source;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import dev.ferry.stream.FrameFormat;
import dev.ferry.stream.StreamInfo;

/**
 * Sends one stream's frames, in order, to the frames topic: each frame encoded as JPEG, paced at the source's frame
 * rate (or as fast as Kafka takes them), with a bounded number of frames waiting for Kafka's acknowledgement. Progress
 * is reported about once a second: to the announcements (viewers find the stream) and to the ledger (a restart resumes
 * after the acknowledged frames).
 */
final class StreamSender {

    /** Frames sent but not yet acknowledged: enough to keep Kafka busy, small enough to bound memory. */
    private static final int WINDOW = 16;
    private static final long REPORT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Later than this against the video's clock, a stream is behind (shown on its page and counted). */
    static final double LAG_SECONDS = 0.5;

    interface Progress {
        /** The stream as it stands; {@code acknowledged} frames are safe in Kafka. */
        void report(StreamInfo info, long acknowledged);
    }

    private final Producer<String, byte[]> producer;
    private final String topic;
    private final boolean paced;
    private volatile boolean stopping;

    StreamSender(Producer<String, byte[]> producer, String topic, boolean paced) {
        this.producer = producer;
        this.topic = topic;
        this.paced = paced;
    }

    /** Frames in progress stop after the current one; what was acknowledged is reported, the rest resumes later. */
    void stop() {
        stopping = true;
    }

    /**
     * Sends the frames of {@code source} from index {@code skip} on.
     *
     * @return the stream at the end: ended, or stopped part-way (still {@code STREAMING}) when the producer stops
     *
     * @throws BadSourceException
     *             the source turned out unreadable or truncated; frames before it were sent
     */
    StreamInfo send(StreamInfo start, FrameSource source, JpegEncoder jpeg, long skip, Progress progress)
            throws BadSourceException, IOException, InterruptedException {
        Deque<Future<RecordMetadata>> window = new ArrayDeque<>();
        Acked acked = new Acked(start, skip);
        long paceStart = -1;
        long paceBasePts = 0;
        long lastReport = System.nanoTime();
        double behind = 0;
        long due = 0;
        FrameSource.Frame frame;
        try {
            while (!stopping && (frame = source.next()) != null) {
                if (frame.index() < skip) {
                    continue; // acknowledged before a restart
                }
                if (paced) {
                    if (paceStart < 0) {
                        paceStart = System.nanoTime();
                        paceBasePts = frame.ptsMicros();
                    }
                    due = paceStart + TimeUnit.MICROSECONDS.toNanos(frame.ptsMicros() - paceBasePts);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                }
                byte[] image = jpeg.encode(frame.image());
                if (paced) {
                    // How late this frame leaves against the video's own clock: growing when decoding and encoding
                    // take longer than a frame lasts. Under half a second is jitter, not lag.
                    double late = (System.nanoTime() - due) / 1e9;
                    behind = late >= LAG_SECONDS ? late : 0;
                }
                if (image.length > FrameFormat.MAX_FRAME_BYTES) {
                    throw new BadSourceException("frame " + frame.index() + " is " + image.length
                            + " bytes as JPEG, above " + FrameFormat.MAX_FRAME_BYTES
                            + ": lower ferry.streams.jpeg-quality or set ferry.streams.max-width");
                }
                window.add(producer.send(new ProducerRecord<>(topic, null, start.name(), image,
                        FrameFormat.headers(start.name(), frame.index(), frame.ptsMicros(), source.frameRate()))));
                while (window.size() >= WINDOW || (!window.isEmpty() && window.peek().isDone())) {
                    acked.add(await(window.poll()));
                }
                if (System.nanoTime() - lastReport >= REPORT_EVERY_NANOS) {
                    lastReport = System.nanoTime();
                    progress.report(acked.info().behind(behind), acked.count);
                }
            }
            long expected = source.expectedFrames().orElse(-1);
            while (!window.isEmpty()) {
                acked.add(await(window.poll()));
            }
            if (stopping) {
                return acked.info();
            }
            // Containers estimate their length from duration and rate: a frame or two (or 1%) short is normal.
            if (expected > 0 && acked.count < expected - Math.max(2, expected / 100)) {
                throw new BadSourceException(start.source() + " is truncated: " + acked.count + " of " + expected
                        + " frames could be decoded");
            }
            return acked.info().ended();
        } finally {
            while (!window.isEmpty()) {
                try {
                    acked.add(await(window.poll()));
                } catch (IOException e) {
                    break;
                }
            }
            progress.report(acked.info(), acked.count);
        }
    }

    private static RecordMetadata await(Future<RecordMetadata> send) throws IOException, InterruptedException {
        try {
            return send.get();
        } catch (ExecutionException e) {
            throw new IOException("Kafka did not take a frame: " + e.getCause(), e.getCause());
        }
    }

    /** What Kafka acknowledged so far: how many frames, where the stream starts and where it is. */
    private static final class Acked {
        private StreamInfo info;
        private long count;

        Acked(StreamInfo start, long skip) {
            this.info = start;
            this.count = skip;
        }

        void add(RecordMetadata m) {
            count++;
            long first = info.firstOffset() < 0 ? m.offset() : info.firstOffset();
            info = info.sent(count, m.partition(), first, m.offset());
        }

        StreamInfo info() {
            return info;
        }
    }
}
