package dev.ferry.stream.source;

import java.awt.Graphics2D;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.OptionalLong;

import org.bytedeco.javacv.FFmpegFrameGrabber;
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
    /** Quarter turns counterclockwise that show the picture upright (a phone's display rotation), 0 to 3. */
    private final int quarterTurns;
    private BufferedImage upright;
    private long index;
    private long firstTimestamp = -1;

    private VideoFrames(Path file, FFmpegFrameGrabber grabber) {
        this.file = file;
        this.grabber = grabber;
        double declared = grabber.getFrameRate();
        this.rate = declared > 0 && declared < 1000 ? declared : DEFAULT_RATE;
        this.quarterTurns = quarterTurns(grabber.getDisplayRotation());
    }

    /**
     * A display rotation (FFmpeg's, degrees counterclockwise, from the display matrix a phone writes) in quarter turns;
     * anything else than a multiple of 90 degrees is rounded to the nearest.
     */
    static int quarterTurns(double degrees) {
        if (Double.isNaN(degrees)) {
            return 0;
        }
        return (int) Math.floorMod(Math.round(degrees / 90), 4L);
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
            FfmpegMessages.install();
            ffmpegLoaded = true;
        }
    }

    static VideoFrames open(Path file) throws BadSourceException {
        loadFfmpeg();
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile());
        FfmpegMessages.clear();
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

    /** As shown: a portrait phone video stored on its side is as wide as its stored height. */
    @Override
    public int width() {
        return quarterTurns % 2 == 0 ? grabber.getImageWidth() : grabber.getImageHeight();
    }

    @Override
    public int height() {
        return quarterTurns % 2 == 0 ? grabber.getImageHeight() : grabber.getImageWidth();
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
        return new Frame(index++, Math.max(0, pts), upright(converter.convert(frame)));
    }

    /**
     * The picture turned as its display rotation says, into one image kept for the source's life (the converter's is
     * reused too: a frame is encoded before the next is read).
     */
    private BufferedImage upright(BufferedImage stored) {
        if (quarterTurns == 0) {
            return stored;
        }
        int w = stored.getWidth();
        int h = stored.getHeight();
        boolean sideways = quarterTurns % 2 == 1;
        int outW = sideways ? h : w;
        int outH = sideways ? w : h;
        if (upright == null || upright.getWidth() != outW || upright.getHeight() != outH) {
            upright = new BufferedImage(outW, outH, BufferedImage.TYPE_3BYTE_BGR);
        }
        // Screen coordinates (y down): a negative angle turns counterclockwise.
        AffineTransform turn = switch (quarterTurns) {
            case 1 -> new AffineTransform(0, -1, 1, 0, 0, w); // (x, y) -> (y, w - x)
            case 2 -> new AffineTransform(-1, 0, 0, -1, w, h); // (x, y) -> (w - x, h - y)
            default -> new AffineTransform(0, 1, -1, 0, h, 0); // (x, y) -> (h - y, x)
        };
        Graphics2D g = upright.createGraphics();
        try {
            g.drawImage(stored, turn, null);
        } finally {
            g.dispose();
        }
        return upright;
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
        return FfmpegMessages.reason(e);
    }
}
