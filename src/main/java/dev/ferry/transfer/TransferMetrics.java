package dev.ferry.transfer;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Ferry's own meters, at {@code /q/metrics} with the Kafka clients' (consumer lag per partition:
 * {@code kafka_consumer_fetch_manager_records_lag}). Tagged by side ({@code producer}/{@code consumer}) and route:
 * <ul>
 * <li>{@code ferry_files_total{outcome}}, {@code ferry_file_bytes_total{outcome}}: finished files and their sizes, by
 * outcome (sent, delivered, failed, quarantined, expired);</li>
 * <li>{@code ferry_transferred_bytes_total}: bytes sent or staged as they move, for live throughput;</li>
 * <li>{@code ferry_transfers_in_flight}, {@code ferry_staging_bytes}: what is moving now and what the consumer holds
 * staged;</li>
 * <li>{@code ferry_dead_letters_total{reason}}: records the consumer refused, by kind ({@code invalid-record},
 * {@code unsafe-path}, {@code undeliverable}, {@code internal-error});</li>
 * <li>{@code ferry_unfinished_transfers}, {@code ferry_unfinished_transfers_max} and
 * {@code ferry_transfers_refused_total{reason="capacity"}}: what the consumer holds against its cap, and what it
 * refused for being full;</li>
 * <li>{@code ferry_file_duration_seconds} and {@code ferry_chunk_ack_seconds}: file latency (start to outcome) and the
 * producer's chunk latency (send to Kafka's acknowledgement), as histograms.</li>
 * </ul>
 */
@ApplicationScoped
public class TransferMetrics {

    @Inject
    MeterRegistry registry;

    @Inject
    TransferBoard board;

    private LongSupplier refusedForCapacity;
    /**
     * Meters of the hot paths (each chunk, each file), built once per tag set: a builder's {@code register} sorts the
     * tags, makes an id and looks it up on every call. Tag sets are few: sides, routes configured, outcomes.
     */
    private final Map<String, Counter> movedBytes = new ConcurrentHashMap<>();
    private final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
    private final Map<String, Timer> durations = new ConcurrentHashMap<>();
    private final Map<String, Timer> chunkAcks = new ConcurrentHashMap<>();

    /** The counters of one side, route and outcome. */
    private record Outcome(Counter files, Counter bytes) {
    }

    void register() {
        for (Side side : Side.values()) {
            Gauge.builder("ferry.transfers.in.flight", board,
                    b -> b.inFlight().stream().filter(t -> t.side() == side).count())
                    .description("Transfers moving now").tag("side", side.label()).register(registry);
        }
        Gauge.builder("ferry.staging.bytes", board,
                b -> b.inFlight().stream().filter(t -> t.side() == Side.CONSUMER).mapToLong(Transfer::bytesDone).sum())
                .description("Bytes the consumer holds staged for files not delivered yet").baseUnit("bytes")
                .register(registry);
    }

    void moved(Side side, String route, long bytes) {
        if (bytes > 0) {
            movedBytes.computeIfAbsent(side.label() + '\0' + route,
                    k -> Counter.builder("ferry.transferred.bytes")
                            .description("Bytes sent (producer) or staged (consumer)")
                            .tags("side", side.label(), "route", route).register(registry))
                    .increment(bytes);
        }
    }

    void finished(Transfer t) {
        String outcome = t.state().name().toLowerCase(Locale.ROOT);
        String key = t.side().label() + '\0' + t.route() + '\0' + outcome;
        Outcome meters = outcomes.computeIfAbsent(key,
                k -> new Outcome(
                        Counter.builder("ferry.files").description("Files finished, by outcome").tags(tags(t, outcome))
                                .register(registry),
                        Counter.builder("ferry.file.bytes").description("Sizes of the files finished, by outcome")
                                .baseUnit("bytes").tags(tags(t, outcome)).register(registry)));
        meters.files().increment();
        meters.bytes().increment(t.size());
        if (t.finishedAt() != null) {
            durations.computeIfAbsent(key,
                    k -> Timer.builder("ferry.file.duration").description("From a file's first chunk to its outcome")
                            .tags(tags(t, outcome)).publishPercentileHistogram().register(registry))
                    .record(Duration.between(t.startedAt(), t.finishedAt()));
        }
    }

    private static String[] tags(Transfer t, String outcome) {
        return new String[] { "side", t.side().label(), "route", t.route(), "outcome", outcome };
    }

    /** A record the consumer refused and wrote to the dead-letter topic. */
    public void deadLettered(String category) {
        Counter.builder("ferry.dead.letters").description("Records refused by the consumer, by kind")
                .tags("reason", category).register(registry).increment();
    }

    /**
     * A receipt not acted on: its signature refused ({@code unsigned}, {@code unknown-key}, {@code bad-signature}), or
     * it does not match what was sent ({@code mismatch}).
     */
    public void receiptRejected(String reason) {
        Counter.builder("ferry.receipts.rejected")
                .description("Receipts ignored: not signed by a trusted key, or not " + "matching what was sent")
                .tags("reason", reason).register(registry).increment();
    }

    /** The consumer's unfinished transfers against its cap, and the transfers refused because it was full. */
    public void watchConsumerCapacity(IntSupplier unfinished, int cap, LongSupplier refused) {
        Gauge.builder("ferry.unfinished.transfers", unfinished::getAsInt)
                .description("Multi-chunk transfers the consumer holds unfinished").register(registry);
        Gauge.builder("ferry.unfinished.transfers.max", () -> cap)
                .description("ferry.max-unfinished-transfers: new transfers beyond are refused").register(registry);
        // Micrometer holds a function counter's object weakly: this field keeps the supplier alive.
        refusedForCapacity = refused;
        FunctionCounter.builder("ferry.transfers.refused", refused, r -> r.getAsLong())
                .description("Transfers the consumer refused because it held its cap of unfinished ones")
                .tags("reason", "capacity").register(registry);
    }

    /** The producer's chunk latency: from handing a chunk to the Kafka producer to the broker's acknowledgement. */
    public void chunkAcknowledged(String route, long nanos) {
        chunkAcks
                .computeIfAbsent(route,
                        r -> Timer.builder("ferry.chunk.ack")
                                .description("From sending a chunk to Kafka's acknowledgement (acks=all)")
                                .tags("route", r).publishPercentileHistogram().register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }
}
