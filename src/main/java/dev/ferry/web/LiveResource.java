package dev.ferry.web;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestStreamElementType;

import io.smallrye.mutiny.Multi;

import dev.ferry.route.RouteTable;
import dev.ferry.transfer.ThroughputHistory;
import dev.ferry.transfer.Transfer;
import dev.ferry.transfer.TransferBoard;

/**
 * What the dashboard shows, pushed twice a second as server-sent events: transfers in flight, the latest finished ones,
 * the bytes moved so far (the page turns their growth into throughput), the routes, the latest dead letters and the
 * consumer's capacity. Bounded whatever is in flight: at most {@link #IN_FLIGHT_SHOWN} transfers in flight (the ones
 * that moved last), the total beside them, so thousands of unfinished transfers do not make a megabyte every 500 ms.
 */
@Path("/api/live")
@Tag(name = "transfers")
public class LiveResource {

    static final Duration PERIOD = Duration.ofMillis(500);
    static final int RECENT = 50;
    static final int IN_FLIGHT_SHOWN = 50;
    static final int DEAD_LETTERS_SHOWN = 20;

    @Inject
    TransferBoard board;

    @Inject
    RouteTable routes;

    @Inject
    ThroughputHistory throughput;

    /**
     * One picture of what is moving; byte counts are since the process started, {@code throughput} the latest point of
     * the server's history ({@code /api/live/throughput}), or null in the first seconds.
     */
    public record Snapshot(Instant at, List<Transfer> inFlight, int inFlightTotal, List<Transfer> recent,
            long bytesSent, long bytesReceived, List<String> routes, List<TransferBoard.DeadLetter> deadLetters,
            TransferBoard.Capacity capacity, ThroughputHistory.Point throughput) {
    }

    @GET
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "A snapshot of what is moving, every 500 ms (server-sent events)")
    public Multi<Snapshot> stream() {
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1)).every(PERIOD).map(tick -> snapshot());
    }

    @GET
    @Path("/throughput")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Throughput of the last five minutes, one point a second (epoch seconds, MB/s sent and "
            + "received), kept by the server so a page opened later still shows it")
    public ThroughputHistory.Series throughput() {
        return throughput.lastFiveMinutes();
    }

    @GET
    @Path("/dead-letters")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The latest records the consumer refused (newest first), with the reason; all are in the "
            + "dead-letter topic")
    public List<TransferBoard.DeadLetter> deadLetters() {
        return board.deadLetters();
    }

    @GET
    @Path("/now")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The current snapshot, once")
    public Snapshot snapshot() {
        List<String> routeLines;
        try {
            routeLines = routes.current().all().stream().map(r -> r.describe(true, true)).toList();
        } catch (IllegalStateException notLoaded) {
            routeLines = List.of();
        }
        List<Transfer> recent = board.all().stream().filter(t -> t.state().finished()).limit(RECENT).toList();
        List<Transfer> inFlight = board.inFlight();
        // Moving ones first (a waiting or stalled transfer has no rate), then the newest.
        List<Transfer> shown = inFlight.stream()
                .sorted(Comparator.comparing((Transfer t) -> t.rate() == null || t.rate() == 0)
                        .thenComparing(Transfer::startedAt, Comparator.reverseOrder()))
                .limit(IN_FLIGHT_SHOWN).toList();
        List<TransferBoard.DeadLetter> dead = board.deadLetters();
        return new Snapshot(Instant.now(), shown, inFlight.size(), recent, board.bytesSent(), board.bytesReceived(),
                routeLines, dead.subList(0, Math.min(DEAD_LETTERS_SHOWN, dead.size())), board.capacity(),
                throughput.latest());
    }
}
