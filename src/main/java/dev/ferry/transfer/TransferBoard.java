package dev.ferry.transfer;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.ferry.chunk.RelativePaths;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.StartupOrder;

/**
 * What is moving and what moved, for the API, the dashboard and the metrics: transfers in flight (updated by the
 * producer's senders and the consumer's assemblers as they go) and the history of finished ones (kept in the state dir,
 * bounded by {@code ferry.history-size}). Each side reports its own view of a transfer under the shared transfer id; in
 * dev mode, where one process runs both roles, both views are kept.
 */
@ApplicationScoped
public class TransferBoard {

    /** Dead letters kept for the API and the dashboard, newest first; all of them are in the dead-letter topic. */
    static final int DEAD_LETTERS_KEPT = 100;

    @Inject
    FerryConfig config;

    @Inject
    TransferMetrics metrics;

    private final Map<String, Transfer> inFlight = new ConcurrentHashMap<>();
    /** Bytes sent (producer) and staged (consumer) since start: the dashboard's throughput is their growth. */
    private final AtomicLong bytesSent = new AtomicLong();
    private final AtomicLong bytesReceived = new AtomicLong();
    private volatile TransferHistory history;
    private final Deque<DeadLetter> deadLetters = new ArrayDeque<>();
    private volatile Supplier<Capacity> capacitySource;

    /**
     * A record the consumer refused.
     *
     * @param source
     *            {@code topic-partition@offset} it was read from
     * @param category
     *            the kind of refusal, as in the metric ({@code invalid-record}, {@code unsafe-path}, ...)
     */
    public record DeadLetter(Instant at, String source, String key, String category, String reason) {
    }

    /** The consumer's unfinished transfers against its cap, and what it refused for being full. */
    public record Capacity(int unfinished, int max, long refused) {
    }

    /** Where the consumer reads its capacity from; set once at start. */
    public void capacity(Supplier<Capacity> source) {
        this.capacitySource = source;
    }

    /** The consumer's capacity now; null without a consumer. */
    public Capacity capacity() {
        var source = capacitySource;
        return source == null ? null : source.get();
    }

    /** A record the consumer refused and wrote to the dead-letter topic. */
    public void deadLettered(String source, String key, String category, String reason) {
        DeadLetter d = new DeadLetter(Instant.now(), source, key == null ? null : RelativePaths.printable(key),
                category, reason);
        synchronized (deadLetters) {
            deadLetters.addFirst(d);
            while (deadLetters.size() > DEAD_LETTERS_KEPT) {
                deadLetters.removeLast();
            }
        }
    }

    /** The latest dead letters, newest first. */
    public List<DeadLetter> deadLetters() {
        synchronized (deadLetters) {
            return List.copyOf(deadLetters);
        }
    }

    void open(@Observes @Priority(StartupOrder.ROUTES) StartupEvent event) throws IOException {
        if (config.role().isEmpty() || config.stateDir().isEmpty()) {
            return;
        }
        history = new TransferHistory(config.requiredStateDir().resolve("transfer-history.jsonl"),
                config.historySize());
        metrics.register();
    }

    void close(@Observes ShutdownEvent event) throws IOException {
        if (history != null) {
            history.close();
        }
    }

    /** A transfer starts (or resumes) on {@code side}. */
    public void started(Side side, String id, String route, String path, long size, int chunksTotal,
            Integer partition) {
        TransferState state = side == Side.PRODUCER ? TransferState.SENDING : TransferState.ASSEMBLING;
        inFlight.put(key(side, id), Transfer.start(id, side, route, path, size, chunksTotal, partition, state));
    }

    public void progress(Side side, String id, int chunksDone, long bytesDone) {
        update(side, id, t -> {
            moved(side, t.route(), bytesDone - t.bytesDone());
            return t.progress(chunksDone, bytesDone);
        });
    }

    /** A producer's transfer is acknowledged by Kafka and waits for its receipt. */
    public void sent(String id) {
        update(Side.PRODUCER, id, t -> {
            moved(Side.PRODUCER, t.route(), t.size() - t.bytesDone());
            return t.progress(t.chunksTotal(), t.size()).state(TransferState.SENT);
        });
    }

    private void moved(Side side, String route, long bytes) {
        if (bytes > 0) {
            (side == Side.PRODUCER ? bytesSent : bytesReceived).addAndGet(bytes);
            metrics.moved(side, route, bytes);
        }
    }

    /** Bytes sent by this process's producer since start. */
    public long bytesSent() {
        return bytesSent.get();
    }

    /** Bytes staged by this process's consumer since start. */
    public long bytesReceived() {
        return bytesReceived.get();
    }

    /** A transfer ends on {@code side}: it leaves the in-flight list for the history. */
    public void finished(Side side, String id, TransferState end, String sha256, String error) {
        finished(side, id, end, sha256, error, null);
    }

    /**
     * As {@link #finished(String, String, TransferState, String, String)}; {@code note} adds to the transfer's outcome
     * line in the log (where it went, what became of the source) without being kept.
     */
    public void finished(Side side, String id, TransferState end, String sha256, String error, String note) {
        Transfer t = inFlight.remove(key(side, id));
        if (t == null) {
            // Finished without this process seeing it start (a receipt after a restart): still worth the history.
            t = findInHistory(side, id).orElse(null);
            if (t == null) {
                return;
            }
        }
        Transfer done = t.finish(end, sha256, error);
        TransferLog.finished(done, note);
        metrics.finished(done);
        if (history != null) {
            history.append(done);
        }
    }

    /**
     * A producer's file that is not being sent now for a reason that may pass (unreadable, a re-send backing off): it
     * stays in flight as {@link TransferState#WAITING} with the reason, without an outcome, until it starts again or is
     * given up.
     */
    public void waiting(String id, String route, String path, long size, String why) {
        inFlight.compute(key(Side.PRODUCER, id),
                (k, t) -> (t != null ? t
                        : Transfer.start(id, Side.PRODUCER, route, path, size, 0, null, TransferState.WAITING))
                                .waiting(why));
    }

    /** A transfer this process stops following without an outcome (its route stopped, the process stops). */
    public void paused(Side side, String id) {
        inFlight.remove(key(side, id));
    }

    /** In flight first (newest first), then the history (newest first). */
    public List<Transfer> all() {
        List<Transfer> all = new ArrayList<>(inFlight.values());
        all.sort(Comparator.comparing(Transfer::startedAt).reversed());
        if (history != null) {
            List<Transfer> past = history.all();
            for (int i = past.size() - 1; i >= 0; i--) {
                all.add(past.get(i));
            }
        }
        return all;
    }

    public List<Transfer> inFlight() {
        return List.copyOf(inFlight.values());
    }

    /** Every side's view of {@code id}: producer first. */
    public List<Transfer> find(String id) {
        Map<Side, Transfer> views = new LinkedHashMap<>();
        for (Side side : Side.values()) {
            Transfer t = inFlight.get(key(side, id));
            if (t == null) {
                t = findInHistory(side, id).orElse(null);
            }
            if (t != null) {
                views.put(side, t);
            }
        }
        return List.copyOf(views.values());
    }

    private Optional<Transfer> findInHistory(Side side, String id) {
        if (history == null) {
            return Optional.empty();
        }
        List<Transfer> past = history.all();
        for (int i = past.size() - 1; i >= 0; i--) {
            Transfer t = past.get(i);
            if (t.id().equals(id) && t.side() == side) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private void update(Side side, String id, UnaryOperator<Transfer> change) {
        inFlight.computeIfPresent(key(side, id), (k, t) -> change.apply(t));
    }

    private static String key(Side side, String id) {
        return side + ":" + id;
    }

}
