package dev.ferry.stream.view;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;

/**
 * What one viewer was served: frames, their rate, and for frames sent after the viewer connected (live), the latency
 * from the producer's send to the frame's delivery to the HTTP client. Feeds the meters too.
 */
final class ViewerStats {

    private final long connectedMillis = System.currentTimeMillis();
    private final long connectedNanos = System.nanoTime();
    private final Counter frames;
    private final Timer latency;
    private long count;
    private long first = -1;
    private long last = -1;
    private long liveCount;
    private long liveLatencySum;
    private long liveLatencyMax;

    ViewerStats(Counter frames, Timer latency) {
        this.frames = frames;
        this.latency = latency;
    }

    synchronized void served(long index, long sentAtMillis) {
        count++;
        if (first < 0) {
            first = index;
        }
        last = index;
        frames.increment();
        if (sentAtMillis >= connectedMillis) {
            long millis = Math.max(0, System.currentTimeMillis() - sentAtMillis);
            liveCount++;
            liveLatencySum += millis;
            liveLatencyMax = Math.max(liveLatencyMax, millis);
            latency.record(millis, TimeUnit.MILLISECONDS);
        }
    }

    synchronized String summary() {
        double seconds = Math.max(1e-3, (System.nanoTime() - connectedNanos) / 1e9);
        String frames = count == 0 ? "no frames"
                : String.format("%d frames (%d to %d) in %.1f s, %.1f fps", count, first, last, seconds,
                        count / seconds);
        return liveCount == 0 ? frames
                : String.format("%s; %d live, latency from send %d ms on average, %d ms at most", frames, liveCount,
                        liveLatencySum / liveCount, liveLatencyMax);
    }
}
