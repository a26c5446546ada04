package dev.ferry.stream.view;

import java.io.IOException;

/** Where a viewer's frames go: one HTTP client's multipart/x-mixed-replace response. */
interface FrameSink {

    /** False once the client went away. */
    boolean isOpen();

    /**
     * Writes one frame and waits until it is handed to the network, so a slow client slows its own replay instead of
     * piling frames up in memory.
     *
     * @throws IOException
     *             the client is gone
     */
    void write(long index, long ptsMicros, long sentAtMillis, byte[] jpeg) throws IOException, InterruptedException;
}
