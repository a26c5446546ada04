package dev.ferry.stream.source;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.OptionalInt;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Encodes frames as JPEG at a set quality, scaled down to a maximum width if one is set. One per stream: not shared.
 */
final class JpegEncoder implements AutoCloseable {

    private final ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    private final ImageWriteParam param = writer.getDefaultWriteParam();
    private final OptionalInt maxWidth;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256 * 1024);

    JpegEncoder(double quality, OptionalInt maxWidth) {
        this.maxWidth = maxWidth;
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality((float) quality);
    }

    /** The size frames of {@code width} x {@code height} are sent at. */
    int[] outputSize(int width, int height) {
        if (maxWidth.isEmpty() || width <= maxWidth.getAsInt()) {
            return new int[] { width, height };
        }
        int w = maxWidth.getAsInt();
        return new int[] { w, Math.max(1, (int) Math.round((double) height * w / width)) };
    }

    byte[] encode(BufferedImage image) throws IOException {
        BufferedImage rgb = toRgb(image);
        out.reset();
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(rgb, null, null), param);
        }
        return out.toByteArray();
    }

    /** JPEG has no alpha channel, and frames above the maximum width are scaled to it. */
    private BufferedImage toRgb(BufferedImage image) {
        int[] size = outputSize(image.getWidth(), image.getHeight());
        boolean scale = size[0] != image.getWidth();
        if (!scale && image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return image;
        }
        BufferedImage rgb = new BufferedImage(size[0], size[1], BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = rgb.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(image, 0, 0, size[0], size[1], null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    @Override
    public void close() {
        writer.dispose();
    }
}
