package dev.ferry.stream.view;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Frames as parts of a {@code multipart/x-mixed-replace} response: each part an image/jpeg with its frame index,
 * presentation time and send time as headers (browsers show the image; tools and tests can read the rest).
 */
final class MultipartSink implements FrameSink {

    private final HttpServerResponse response;
    /** A client that takes no frame for this long is disconnected (ferry.streams.idle-timeout). */
    private final Duration idleTimeout;
    private final Runnable onIdle;
    private volatile boolean open = true;

    MultipartSink(HttpServerResponse response, Duration idleTimeout, Runnable onIdle) {
        this.response = response;
        this.idleTimeout = idleTimeout;
        this.onIdle = onIdle;
    }

    @Override
    public boolean isOpen() {
        return open && !response.closed();
    }

    void closed() {
        open = false;
    }

    @Override
    public void write(long index, long ptsMicros, long sentAtMillis, byte[] jpeg)
            throws IOException, InterruptedException {
        String head = "--" + StreamPages.BOUNDARY + "\r\nContent-Type: image/jpeg\r\nContent-Length: " + jpeg.length
                + "\r\nX-Ferry-Frame: " + index + "\r\nX-Ferry-Pts-Us: " + ptsMicros + "\r\nX-Ferry-Sent-Ms: "
                + sentAtMillis + "\r\n\r\n";
        Buffer part = Buffer.buffer(head.length() + jpeg.length + 2)
                .appendString(head, StandardCharsets.US_ASCII.name()).appendBytes(jpeg).appendString("\r\n");
        try {
            response.write(part).toCompletionStage().toCompletableFuture().get(idleTimeout.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // Reads nothing: close the connection (ending the response would wait behind the unread frames).
            open = false;
            onIdle.run();
            response.reset();
            throw new IOException("viewer took no frame for " + idleTimeout.toSeconds() + " s: disconnected", e);
        } catch (ExecutionException | IllegalStateException e) {
            open = false;
            throw new IOException("viewer gone: " + e, e);
        }
    }

    void end() {
        open = false;
        if (!response.ended() && !response.closed()) {
            response.end();
        }
    }
}
