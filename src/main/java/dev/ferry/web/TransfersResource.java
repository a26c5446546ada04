package dev.ferry.web;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import dev.ferry.transfer.Side;
import dev.ferry.transfer.Transfer;
import dev.ferry.transfer.TransferBoard;
import dev.ferry.transfer.TransferState;

/**
 * Transfers as this process sees them: the producer answers for what it sends, the consumer for what it assembles and
 * delivers (dev mode, running both, answers for both). Documented at {@code /q/openapi}.
 */
@Path("/api/transfers")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "transfers")
public class TransfersResource {

    static final int MAX_PAGE_SIZE = 500;

    @Inject
    TransferBoard board;

    /** One page of transfers, newest first, in flight before finished. */
    public record Page(List<Transfer> items, int page, int size, int total) {
    }

    @GET
    @Operation(summary = "Transfers in flight and finished, newest first")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Page.class)))
    @APIResponse(responseCode = "400", description = "bad state, page or size", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response list(
            @Parameter(description = "sending, sent, assembling, delivered, failed, quarantined, expired, waiting, restarted or skipped") @QueryParam("state") String state,
            @Parameter(description = "producer or consumer") @QueryParam("side") String side,
            @Parameter(description = "from 0") @QueryParam("page") @DefaultValue("0") int page,
            @Parameter(description = "1 to 500") @QueryParam("size") @DefaultValue("50") int size) {
        TransferState wanted = null;
        if (state != null) {
            try {
                wanted = TransferState.parse(state);
            } catch (IllegalArgumentException e) {
                return Problem.of(Response.Status.BAD_REQUEST, "state: " + e.getMessage());
            }
        }
        Side onSide = null;
        if (side != null) {
            try {
                onSide = Side.parse(side);
            } catch (IllegalArgumentException e) {
                return Problem.of(Response.Status.BAD_REQUEST, "side: " + e.getMessage());
            }
        }
        if (page < 0 || size < 1 || size > MAX_PAGE_SIZE) {
            return Problem.of(Response.Status.BAD_REQUEST,
                    "page must be 0 or more and size 1 to " + MAX_PAGE_SIZE + "; got page " + page + ", size " + size);
        }
        TransferState filter = wanted;
        Side sideFilter = onSide;
        List<Transfer> matching = board.all().stream().filter(t -> filter == null || t.state() == filter)
                .filter(t -> sideFilter == null || t.side() == sideFilter).toList();
        int from = (int) Math.min((long) page * size, matching.size());
        int to = Math.min(from + size, matching.size());
        return Response.ok(new Page(matching.subList(from, to), page, size, matching.size())).build();
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "One transfer; where both roles run here, the consumer's view unless side says otherwise")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Transfer.class)))
    @APIResponse(responseCode = "404", description = "no such transfer here", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response get(@PathParam("id") String id,
            @Parameter(description = "producer or consumer") @QueryParam("side") String side) {
        List<Transfer> views = board.find(id).stream()
                .filter(t -> side == null || t.side().label().equalsIgnoreCase(side)).toList();
        if (views.isEmpty()) {
            return Problem.of(Response.Status.NOT_FOUND,
                    "no transfer " + id + (side == null ? "" : " on the " + side + " side")
                            + " in flight or in the history of this process");
        }
        return Response.ok(views.get(views.size() - 1)).build();
    }
}
