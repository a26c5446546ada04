package dev.ferry.status;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.ferry.config.FerryConfig;

/**
 * Puts long transfers in the log while they move: every {@code ferry.progress-interval}, one line for each transfer
 * that has been sending or assembling for at least that long. Short transfers only get their outcome line.
 */
@ApplicationScoped
public class ProgressLog {

    @Inject
    FerryConfig config;

    @Inject
    TransferBoard board;

    private ScheduledExecutorService timer;

    void start(@Observes StartupEvent event) {
        Duration every = config.progressInterval();
        if (config.role().isEmpty() || every.isZero()) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ferry-progress-log");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(() -> report(every), every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void report(Duration every) {
        Instant longEnough = Instant.now().minus(every);
        for (Transfer t : board.inFlight()) {
            boolean moving = t.state() == TransferState.SENDING || t.state() == TransferState.ASSEMBLING;
            if (moving && !t.startedAt().isAfter(longEnough)) {
                TransferLog.progress(t);
            }
        }
    }
}
