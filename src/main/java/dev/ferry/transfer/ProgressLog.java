package dev.ferry.transfer;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.ferry.DaemonThreads;
import dev.ferry.config.FerryConfig;

/**
 * Puts long transfers in the log while they move: every {@code ferry.progress-interval}, one line for each transfer
 * that has been sending or assembling for at least that long. Short transfers only get their outcome line.
 */
@ApplicationScoped
public class ProgressLog {

    /** Progress lines per interval at most, so thousands of transfers in flight do not flood the log. */
    static final int MAX_LINES = 20;

    @Inject
    FerryConfig config;

    @Inject
    TransferBoard board;

    private ScheduledExecutorService timer;
    /** Each reported transfer's bytes at the last report; only the timer thread touches it. */
    private Map<String, Sample> last = new HashMap<>();

    void start(@Observes StartupEvent event) {
        Duration every = config.progressInterval();
        if (config.role().isEmpty() || every.isZero()) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-progress-log"));
        timer.scheduleAtFixedRate(() -> report(every), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void report(Duration every) {
        Instant now = Instant.now();
        Instant longEnough = now.minus(every);
        Map<String, Sample> seen = new HashMap<>();
        int lines = 0;
        int more = 0;
        for (Transfer t : board.inFlight()) {
            boolean moving = t.state() == TransferState.SENDING || t.state() == TransferState.ASSEMBLING;
            if (moving && !t.startedAt().isAfter(longEnough)) {
                String key = t.side() + ":" + t.id();
                // The rate over the last interval: a transfer's own rate is a snapshot from its last chunk, and
                // one resumed after a restart counts bytes staged before it.
                Sample before = last.getOrDefault(key, new Sample(0, t.startedAt()));
                seen.put(key, new Sample(t.bytesDone(), now));
                if (t.bytesDone() == before.bytes()) {
                    continue; // not moving: the stall warning speaks for it, not a line every interval
                }
                if (lines++ >= MAX_LINES) {
                    more++;
                    continue;
                }
                double seconds = Math.max(1e-3, Duration.between(before.at(), now).toMillis() / 1e3);
                TransferLog.progress(t, Math.max(0, Math.round((t.bytesDone() - before.bytes()) / seconds)));
            }
        }
        if (more > 0) {
            Logger.getLogger(ProgressLog.class)
                    .infof("%d more transfers moving (progress lines for %d per interval at most)", more, MAX_LINES);
        }
        last = seen;
    }

    private record Sample(long bytes, Instant at) {
    }
}
