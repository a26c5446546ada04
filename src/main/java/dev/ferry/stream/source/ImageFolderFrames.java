package dev.ferry.stream.source;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

/** A folder of JPEG or PNG images, one frame each, in the order of their names, at a configured frame rate. */
final class ImageFolderFrames implements FrameSource {

    private final Path folder;
    private final List<Path> images;
    private final double rate;
    private final BufferedImage first;
    private int index;

    private ImageFolderFrames(Path folder, List<Path> images, double rate, BufferedImage first) {
        this.folder = folder;
        this.images = images;
        this.rate = rate;
        this.first = first;
    }

    static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png");
    }

    static ImageFolderFrames open(Path folder, double rate) throws BadSourceException, IOException {
        List<Path> images;
        try (Stream<Path> files = Files.list(folder)) {
            images = files.filter(Files::isRegularFile).filter(ImageFolderFrames::isImage).sorted().toList();
        }
        if (images.isEmpty()) {
            throw new BadSourceException(folder.getFileName() + " holds no .jpg, .jpeg or .png images");
        }
        return new ImageFolderFrames(folder, images, rate, read(images.get(0)));
    }

    @Override
    public double frameRate() {
        return rate;
    }

    @Override
    public int width() {
        return first.getWidth();
    }

    @Override
    public int height() {
        return first.getHeight();
    }

    @Override
    public OptionalLong expectedFrames() {
        return OptionalLong.of(images.size());
    }

    @Override
    public Frame next() throws BadSourceException, IOException {
        if (index >= images.size()) {
            return null;
        }
        BufferedImage image = index == 0 ? first : read(images.get(index));
        Frame frame = new Frame(index, Math.round(index * 1e6 / rate), image);
        index++;
        return frame;
    }

    private static BufferedImage read(Path image) throws BadSourceException, IOException {
        BufferedImage read = ImageIO.read(image.toFile());
        if (read == null) {
            throw new BadSourceException(image.getParent().getFileName() + "/" + image.getFileName()
                    + " is not a readable JPEG or PNG image");
        }
        return read;
    }

    @Override
    public void close() {
        // nothing held open between frames
    }

    @Override
    public String toString() {
        return folder.toString();
    }
}
