package dev.ferry.stream.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.stream.FrameFormat;
import dev.ferry.stream.StreamInfo;
import dev.ferry.testing.TestVideos;

/**
 * The sender's bookkeeping, against Kafka's MockProducer (transfer through a real broker is StreamsTest's): a restart
 * resumes after the acknowledged frames, progress is what Kafka acknowledged, a short source is reported truncated, and
 * the ledger remembers across instances.
 */
class StreamSenderTest {

    @TempDir
    Path dir;

    @Test
    void aResumedStreamSendsOnlyTheFramesAfterTheAcknowledgedOnes() throws Exception {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer());
        List<Long> acknowledged = new ArrayList<>();
        StreamInfo end = new StreamSender(producer, "frames", false).send(
                StreamInfo.starting("cam", "cam.mp4").format(10, 32, 24), new Pictures(10, 10),
                new JpegEncoder(0.8, OptionalInt.empty()), 4, (info, acked) -> acknowledged.add(acked));

        assertThat(producer.history()).extracting(StreamSenderTest::frameOf).containsExactly(4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(producer.history()).allSatisfy(r -> assertThat(r.key()).isEqualTo("cam"));
        assertThat(end.state()).isEqualTo(StreamInfo.State.ENDED);
        assertThat(end.frames()).as("the 4 from before and the 6 sent now").isEqualTo(10);
        assertThat(acknowledged).last().isEqualTo(10L);
    }

    @Test
    void aSourceThatEndsEarlyIsTruncatedAfterSendingWhatItHad() throws Exception {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer());
        StreamSender sender = new StreamSender(producer, "frames", false);
        assertThatThrownBy(() -> sender.send(StreamInfo.starting("cut", "cut.mkv"), new Pictures(40, 100),
                new JpegEncoder(0.8, OptionalInt.empty()), 0, (info, acked) -> {
                })).isInstanceOf(BadSourceException.class)
                        .hasMessage("cut.mkv is truncated: 40 of 100 frames could be decoded");
        assertThat(producer.history()).hasSize(40);
    }

    /** A source that cannot keep its frame rate is reported behind while it plays, not only at the end. */
    @Test
    void aStreamSlowerThanItsFrameRateIsReportedBehindWhileItPlays() throws Exception {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(),
                new ByteArraySerializer());
        List<Double> behind = new ArrayList<>();
        // 10 fps, but each picture takes 250 ms to come: 150 ms later with every frame.
        Pictures slow = new Pictures(12, 12) {
            @Override
            public Frame next() {
                try {
                    Thread.sleep(250); // the slow decoder itself (what is tested), not a wait for a condition
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.next();
            }
        };
        new StreamSender(producer, "frames", true).send(StreamInfo.starting("slow", "slow.mp4").format(10, 32, 24),
                slow, new JpegEncoder(0.8, OptionalInt.empty()), 0, (info, acked) -> behind.add(info.behind()));
        System.out.println("seconds behind, as reported while playing: " + behind);
        assertThat(behind).as("reported while it played").anySatisfy(b -> assertThat(b).isGreaterThan(1.0));

        List<Double> onTime = new ArrayList<>();
        new StreamSender(producer, "frames", true).send(StreamInfo.starting("cam", "cam.mp4").format(10, 32, 24),
                new Pictures(15, 15), new JpegEncoder(0.8, OptionalInt.empty()), 0,
                (info, acked) -> onTime.add(info.behind()));
        assertThat(onTime).as("a source that keeps up is never behind").isNotEmpty().containsOnly(0.0);
    }

    @Test
    void theLedgerRemembersProgressAndEndsAcrossRestarts() throws Exception {
        StreamLedger ledger = new StreamLedger(dir.resolve("streams.json"));
        ledger.record("cam", new StreamLedger.Entry("100@5", 42, false));
        ledger.record("old", new StreamLedger.Entry("7@1", 9, true));
        StreamLedger again = new StreamLedger(dir.resolve("streams.json"));
        assertThat(again.get("cam")).contains(new StreamLedger.Entry("100@5", 42, false));
        assertThat(again.get("old").orElseThrow().done()).isTrue();
        assertThat(again.get("new")).isEmpty();
    }

    private static long frameOf(ProducerRecord<String, byte[]> r) {
        return Long.parseLong(new String(r.headers().lastHeader(FrameFormat.FRAME).value(), StandardCharsets.UTF_8));
    }

    /** {@code count} pictures of a source that declares {@code declared}. */
    private static class Pictures implements FrameSource {
        private final int count;
        private final int declared;
        private int next;

        Pictures(int count, int declared) {
            this.count = count;
            this.declared = declared;
        }

        @Override
        public double frameRate() {
            return 10;
        }

        @Override
        public int width() {
            return 32;
        }

        @Override
        public int height() {
            return 24;
        }

        @Override
        public OptionalLong expectedFrames() {
            return OptionalLong.of(declared);
        }

        @Override
        public Frame next() {
            return next < count ? new Frame(next, next * 100_000L, TestVideos.picture(next++, 32, 24)) : null;
        }

        @Override
        public void close() {
        }
    }
}
