package dev.ferry.stream.source;

import java.nio.file.Path;
import java.util.OptionalLong;

import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegLogCallback;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Frames decoded from a video file by FFmpeg (through JavaCV). Anything FFmpeg cannot open or decode is a
 * {@link BadSourceException} that says so; a video that ends well before the length its container declares is reported
 * as truncated.
 */
final class VideoFrames implements FrameSource {

    private static final double DEFAULT_RATE = 25;
    private static boolean ffmpegLoaded;

    private final Path file;
    private final FFmpegFrameGrabber grabber;
    private final Java2DFrameConverter converter = new Java2DFrameConverter();
    private final double rate;
    private long index;
    private long firstTimestamp = -1;

    private VideoFrames(Path file, FFmpegFrameGrabber grabber) {
        this.file = file;
        this.grabber = grabber;
        double declared = grabber.getFrameRate();
        this.rate = declared > 0 && declared < 1000 ? declared : DEFAULT_RATE;
    }

    /**
     * Unpacks FFmpeg's native libraries into {@code cache} (at the first video) instead of the user's home, which a
     * read-only, non-root pod does not have, and sends FFmpeg's own messages to the log, errors only.
     */
    static void prepareNatives(Path cache) {
        System.setProperty("org.bytedeco.javacpp.cachedir", cache.toAbsolutePath().toString());
        System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
    }

    /** Loads FFmpeg at the first video, not at start-up: a producer that never streams never unpacks it. */
    private static synchronized void loadFfmpeg() {
        if (!ffmpegLoaded) {
            avutil.av_log_set_level(avutil.AV_LOG_ERROR);
            FFmpegLogCallback.set();
            ffmpegLoaded = true;
        }
    }

    static VideoFrames open(Path file) throws BadSourceException {
        loadFfmpeg();
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
        try {
            grabber.start();
        } catch (FrameGrabber.Exception e) {
            close(grabber);
            throw new BadSourceException(file.getFileName() + " is not a video FFmpeg can read: " + reason(e), e);
        }
        if (grabber.getVideoStream() < 0 || grabber.getImageWidth() <= 0 || grabber.getImageHeight() <= 0) {
            String format = formatOf(grabber);
            close(grabber);
            throw new BadSourceException(file.getFileName() + " has no video stream (format " + format + ")");
        }
        return new VideoFrames(file, grabber);
    }

    /** The container format FFmpeg recognised, by its short name (mov,mp4,..., matroska,webm, wav). */
    private static String formatOf(FFmpegFrameGrabber grabber) {
        try {
            return grabber.getFormatContext().iformat().name().getString();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    @Override
    public double frameRate() {
        return rate;
    }

    @Override
    public int width() {
        return grabber.getImageWidth();
    }

    @Override
    public int height() {
        return grabber.getImageHeight();
    }

    @Override
    public OptionalLong expectedFrames() {
        int length = grabber.getLengthInFrames();
        return length > 0 ? OptionalLong.of(length) : OptionalLong.empty();
    }

    @Override
    public Frame next() throws BadSourceException {
        var frame = grab(); // JavaCV's Frame, not ours: the names clash
        if (frame == null || frame.image == null) {
            return null;
        }
        long timestamp = frame.timestamp;
        if (firstTimestamp < 0) {
            firstTimestamp = timestamp;
        }
        // Some containers have no timestamps: fall back to the frame's place at the declared rate.
        long pts = timestamp > 0 || index == 0 ? timestamp - firstTimestamp : Math.round(index * 1e6 / rate);
        return new Frame(index++, Math.max(0, pts), converter.convert(frame));
    }

    // JavaCV's Frame, written out: the names clash with FrameSource.Frame.
    private org.bytedeco.javacv.Frame grab() throws BadSourceException {
        try {
            return grabber.grabImage();
        } catch (FrameGrabber.Exception e) {
            throw new BadSourceException(
                    file.getFileName() + ": decoding failed at frame " + index + " (" + reason(e) + ")", e);
        }
    }

    @Override
    public void close() {
        close(grabber);
        converter.close();
    }

    private static void close(FFmpegFrameGrabber grabber) {
        try {
            grabber.close();
        } catch (FrameGrabber.Exception e) {
            // nothing left to release that matters
        }
    }

    private static String reason(Exception e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        // JavaCV adds a hint about its own log callback, which Ferry already set: keep FFmpeg's words only.
        int hint = message.indexOf(" (For more details");
        return hint > 0 ? message.substring(0, hint) : message;
    }
}
