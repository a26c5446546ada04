package dev.ferry.transfer;

import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.ferry.DaemonThreads;

/**
 * Throughput of the last five minutes, kept by the server: a dashboard opened after a transfer still shows it. Once a
 * second the board's byte counters are sampled into a ring of fixed size (a few kilobytes, whatever moves); a point is
 * the rate over the last {@value #SMOOTH_SECONDS} seconds, as the producer reports progress once a second and a
 * one-second difference would saw-tooth.
 */
@ApplicationScoped
public class ThroughputHistory {

    public static final int SECONDS = 300;
    static final int SMOOTH_SECONDS = 2;

    @Inject
    TransferBoard board;

    private final long[] at = new long[SECONDS + SMOOTH_SECONDS];
    private final long[] sent = new long[at.length];
    private final long[] received = new long[at.length];
    private int next;
    private int count;
    private ScheduledExecutorService sampler;

    /**
     * Points, oldest first.
     *
     * @param at
     *            epoch seconds
     * @param sent
     *            MB/s the producer side sent
     * @param received
     *            MB/s the consumer side received
     */
    public record Series(long[] at, double[] sent, double[] received) {
    }

    /** Throughput at one second: {@code at} in epoch seconds, rates in MB/s. */
    public record Point(long at, double sent, double received) {
    }

    void start(@Observes StartupEvent event) {
        sampler = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-throughput"));
        sampler.scheduleAtFixedRate(this::sample, 0, 1, TimeUnit.SECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (sampler != null) {
            sampler.shutdownNow();
        }
    }

    void sample() {
        record(Instant.now().getEpochSecond(), board.bytesSent(), board.bytesReceived());
    }

    synchronized void record(long second, long bytesSent, long bytesReceived) {
        if (count > 0 && at[(next - 1 + at.length) % at.length] == second) {
            return; // a late tick: one point a second
        }
        at[next] = second;
        sent[next] = bytesSent;
        received[next] = bytesReceived;
        next = (next + 1) % at.length;
        count = Math.min(count + 1, at.length);
    }

    /** The newest point, or null in the first seconds. */
    public synchronized Point latest() {
        if (count <= SMOOTH_SECONDS) {
            return null;
        }
        return point((next - 1 - SMOOTH_SECONDS + at.length) % at.length, (next - 1 + at.length) % at.length);
    }

    /** The rate between two samples (ring indexes), at the later one's second. */
    private Point point(int from, int to) {
        double span = Math.max(1, at[to] - at[from]);
        return new Point(at[to], (sent[to] - sent[from]) / span / 1e6, (received[to] - received[from]) / span / 1e6);
    }

    /** The last five minutes (less if the process is younger). */
    public synchronized Series lastFiveMinutes() {
        int points = Math.max(0, count - SMOOTH_SECONDS);
        long[] times = new long[points];
        double[] out = new double[points];
        double[] in = new double[points];
        int oldest = (next - count + at.length) % at.length;
        for (int i = 0; i < points; i++) {
            Point p = point((oldest + i) % at.length, (oldest + i + SMOOTH_SECONDS) % at.length);
            times[i] = p.at();
            out[i] = p.sent();
            in[i] = p.received();
        }
        return new Series(times, out, in);
    }
}
