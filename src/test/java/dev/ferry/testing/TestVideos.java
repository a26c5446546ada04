package dev.ferry.testing;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Random;
import java.util.function.IntFunction;

import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Short videos made by the tests themselves (JavaCV's recorder, MPEG-4 video), so no video is committed. Each frame is
 * one flat colour that encodes its index ({@link #indexOf}), which survives video and JPEG compression: tests can tell
 * which frame a picture is.
 */
public final class TestVideos {

    private TestVideos() {
    }

    /** Writes a video of {@code frames} frames next to {@code target} and moves it in place whole. */
    public static Path record(Path target, String format, int frames, double fps, int width, int height)
            throws IOException {
        return record(target, format, frames, fps, width, height, i -> picture(i, width, height), 0);
    }

    /**
     * A phone's video: stored {@code width} x {@code height} with a display rotation in its metadata ({@code -90}:
     * shown turned a quarter clockwise, as a phone held upright writes it). Every stored picture is red in its upper
     * half and blue in its lower half, so a player that honours the rotation shows red on the right and blue on the
     * left.
     */
    public static Path recordRotated(Path target, int frames, double fps, int width, int height, double displayRotation)
            throws IOException {
        return record(target, "mp4", frames, fps, width, height, i -> {
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = image.createGraphics();
            g.setColor(Color.RED);
            g.fillRect(0, 0, width, height / 2);
            g.setColor(Color.BLUE);
            g.fillRect(0, height / 2, width, height - height / 2);
            g.dispose();
            return image;
        }, displayRotation);
    }

    /**
     * Like {@link #record}, but every frame is grain around its flat centre: its pictures are large (tens of KiB as
     * JPEG), so a client that reads nothing fills the socket buffers within a few frames.
     */
    public static Path recordGrainy(Path target, int frames, double fps, int width, int height) throws IOException {
        return record(target, "mp4", frames, fps, width, height, i -> {
            BufferedImage picture = picture(i, width, height);
            addGrain(picture, new Random(i));
            return picture;
        }, 0);
    }

    private static Path record(Path target, String format, int frames, double fps, int width, int height,
            IntFunction<BufferedImage> pictures, double displayRotation) throws IOException {
        Files.createDirectories(target.getParent());
        Path part = target.resolveSibling("." + target.getFileName() + ".part");
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(part.toFile(), width, height);
                Java2DFrameConverter converter = new Java2DFrameConverter()) {
            recorder.setFormat(format);
            recorder.setVideoCodec(avcodec.AV_CODEC_ID_MPEG4);
            recorder.setFrameRate(fps);
            recorder.setVideoQuality(2);
            if (displayRotation != 0) {
                recorder.setDisplayRotation(displayRotation);
            }
            recorder.start();
            for (int i = 0; i < frames; i++) {
                recorder.record(converter.convert(pictures.apply(i)));
            }
            recorder.stop();
        }
        return Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Frame {@code index}'s picture: red and blue carry the index in steps of 16 (up to 256 frames). */
    public static BufferedImage picture(int index, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color((index % 16) * 16 + 8, 128, (index / 16 % 16) * 16 + 8));
        g.fillRect(0, 0, width, height);
        if (width >= 160) {
            // Readable in screenshots; kept away from the centre, where indexOf looks.
            g.setColor(Color.WHITE);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(12, height / 10)));
            g.drawString("frame " + index, width / 20, height / 8);
        }
        g.dispose();
        return image;
    }

    private static void addGrain(BufferedImage image, Random random) {
        int w = image.getWidth();
        int h = image.getHeight();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                boolean centre = Math.abs(x - w / 2) < w / 8 && Math.abs(y - h / 2) < h / 8;
                if (!centre) {
                    image.setRGB(x, y, random.nextInt(0x1000000));
                }
            }
        }
    }

    /** The index a decoded picture shows, from the colour at its centre. */
    public static int indexOf(BufferedImage image) {
        int rgb = image.getRGB(image.getWidth() / 2, image.getHeight() / 2);
        int red = (rgb >> 16) & 0xff;
        int blue = rgb & 0xff;
        return Math.max(0, Math.min(15, red / 16)) + 16 * Math.max(0, Math.min(15, blue / 16));
    }
}
