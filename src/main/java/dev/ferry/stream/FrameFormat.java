package dev.ferry.stream;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The one definition of a frame record in the frames topic: key = stream name (so a stream is one partition, in order),
 * value = one JPEG image, headers as decimal text (readable with kafka-console-consumer):
 * <ul>
 * <li>{@code ferry-stream}: the stream name (the key, repeated for tools that only show headers);</li>
 * <li>{@code ferry-frame}: the frame's index in its video, from 0;</li>
 * <li>{@code ferry-pts-us}: its presentation time in microseconds from the start of the video;</li>
 * <li>{@code ferry-fps}: the video's frame rate.</li>
 * </ul>
 * Streams announce themselves in a second, compacted topic ({@link #announcementsTopic}), one {@link StreamInfo} per
 * stream name, so that viewers find a stream, its partition and its first frame without reading the frames.
 */
public final class FrameFormat {

    public static final String STREAM = "ferry-stream";
    public static final String FRAME = "ferry-frame";
    public static final String PTS_US = "ferry-pts-us";
    public static final String FPS = "ferry-fps";

    /** Largest frame record accepted: a 4K JPEG at high quality stays well below. */
    public static final int MAX_FRAME_BYTES = 8 << 20;

    private FrameFormat() {
    }

    public static String announcementsTopic(String framesTopic) {
        return framesTopic + "-streams";
    }

    public static Headers headers(String stream, long frame, long ptsMicros, double fps) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(STREAM, bytes(stream));
        headers.add(FRAME, bytes(Long.toString(frame)));
        headers.add(PTS_US, bytes(Long.toString(ptsMicros)));
        headers.add(FPS, bytes(Double.toString(fps)));
        return headers;
    }

    /** A frame header as a number, or empty when it is missing or not a number (a record that is not a frame). */
    public static OptionalLong number(Headers headers, String name) {
        Header h = headers.lastHeader(name);
        if (h == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(new String(h.value(), StandardCharsets.UTF_8)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
