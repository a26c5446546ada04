package dev.ferry.stream.source;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.OptionalLong;

/** Frames of one stream, in order: decoded from a video, or read from a folder of images. */
interface FrameSource extends AutoCloseable {

    /** One frame: its index from 0, its presentation time from the start of the stream, its picture. */
    record Frame(long index, long ptsMicros, BufferedImage image) {
    }

    double frameRate();

    int width();

    int height();

    /** How many frames the source says it has, when it says: a shorter read means the source is truncated. */
    OptionalLong expectedFrames();

    /**
     * The next frame, or null at the end.
     *
     * @throws BadSourceException
     *             the source cannot be read further (damaged data, unsupported codec)
     */
    Frame next() throws BadSourceException, IOException;

    @Override
    void close();
}
