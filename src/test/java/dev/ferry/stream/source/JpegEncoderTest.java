package dev.ferry.stream.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.OptionalInt;
import java.util.Random;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

import dev.ferry.testing.TestVideos;

/**
 * Frames as JPEG: scaled down to ferry.streams.max-width with their aspect, smaller at lower quality, PNG alpha
 * dropped.
 */
class JpegEncoderTest {

    @Test
    void aFrameWiderThanTheMaximumIsScaledDownKeepingItsAspect() throws Exception {
        try (JpegEncoder jpeg = new JpegEncoder(0.8, OptionalInt.of(160))) {
            BufferedImage decoded = ImageIO
                    .read(new ByteArrayInputStream(jpeg.encode(TestVideos.picture(37, 640, 360))));
            assertThat(decoded.getWidth()).isEqualTo(160);
            assertThat(decoded.getHeight()).isEqualTo(90);
            assertThat(TestVideos.indexOf(decoded)).isEqualTo(37);
            assertThat(jpeg.outputSize(100, 50)).containsExactly(100, 50);
        }
    }

    @Test
    void lowerQualityMakesSmallerFramesAndAlphaIsDropped() throws Exception {
        BufferedImage noisy = new BufferedImage(320, 240, BufferedImage.TYPE_INT_ARGB);
        Random random = new Random(7);
        for (int y = 0; y < 240; y++) {
            for (int x = 0; x < 320; x++) {
                noisy.setRGB(x, y, 0x80000000 | random.nextInt(0x1000000));
            }
        }
        try (JpegEncoder best = new JpegEncoder(1.0, OptionalInt.empty());
                JpegEncoder small = new JpegEncoder(0.2, OptionalInt.empty())) {
            byte[] high = best.encode(noisy);
            byte[] low = small.encode(noisy);
            assertThat(low.length).isLessThan(high.length / 2);
            assertThat(ImageIO.read(new ByteArrayInputStream(low)).getWidth()).isEqualTo(320);
        }
    }
}
