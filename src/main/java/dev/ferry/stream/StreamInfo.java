package dev.ferry.stream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What a producer announces about a stream (in the compacted announcements topic, keyed by name) and what the API
 * lists: where its frames are, how far it got, and why it failed if it did.
 *
 * @param source
 *            the video file or image folder it comes from, relative to the streams inbox
 * @param frames
 *            frames sent so far (all of them once ended)
 * @param firstOffset
 *            offset of the stream's first frame in {@code partition}, -1 before it is sent
 * @param lastOffset
 *            offset of the latest frame sent, -1 before any
 * @param startedAt
 *            epoch milliseconds
 * @param updatedAt
 *            epoch milliseconds
 * @param behind
 *            seconds the stream is behind its own pace while it plays (encoding slower than the video's frame rate), 0
 *            when it keeps up; an announcement without it (older producers) reads as 0
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StreamInfo(String name, String source, State state, String error, double fps, int width, int height,
        long frames, int partition, long firstOffset, long lastOffset, long startedAt, long updatedAt, double behind) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public enum State {
        /** Frames are being sent. */
        STREAMING,
        /** Every frame was sent. */
        ENDED,
        /** The source could not be read (not a video, truncated, unsupported codec): {@code error} says why. */
        FAILED;

        @JsonValue
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        @JsonCreator
        static State of(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }
    }

    public static StreamInfo starting(String name, String source) {
        long now = System.currentTimeMillis();
        return new StreamInfo(name, source, State.STREAMING, null, 0, 0, 0, 0, -1, -1, -1, now, now, 0);
    }

    public StreamInfo format(double fps, int width, int height) {
        return new StreamInfo(name, source, state, error, fps, width, height, frames, partition, firstOffset,
                lastOffset, startedAt, System.currentTimeMillis(), behind);
    }

    public StreamInfo sent(long frames, int partition, long firstOffset, long lastOffset) {
        return new StreamInfo(name, source, state, error, fps, width, height, frames, partition, firstOffset,
                lastOffset, startedAt, System.currentTimeMillis(), behind);
    }

    /** The same, {@code seconds} behind its pace (0: on time). */
    public StreamInfo behind(double seconds) {
        return new StreamInfo(name, source, state, error, fps, width, height, frames, partition, firstOffset,
                lastOffset, startedAt, updatedAt, seconds);
    }

    public StreamInfo ended() {
        return new StreamInfo(name, source, State.ENDED, null, fps, width, height, frames, partition, firstOffset,
                lastOffset, startedAt, System.currentTimeMillis(), 0);
    }

    public StreamInfo failed(String why) {
        return new StreamInfo(name, source, State.FAILED, why, fps, width, height, frames, partition, firstOffset,
                lastOffset, startedAt, System.currentTimeMillis(), behind);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @throws IOException
     *             if {@code json} is not a stream announcement
     */
    public static StreamInfo fromJson(String json) throws IOException {
        StreamInfo info = JSON.readValue(json, StreamInfo.class);
        if (info.name() == null || info.state() == null) {
            throw new IOException("not a stream announcement: " + json);
        }
        return info;
    }
}
