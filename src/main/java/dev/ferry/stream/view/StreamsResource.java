package dev.ferry.stream.view;

import java.util.List;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import dev.ferry.stream.StreamCatalog;
import dev.ferry.stream.StreamInfo;
import dev.ferry.web.Problem;

/** The streams known to this process, with their state: where they are, how far they got, why they failed. */
@Path("/api/streams")
@Produces(MediaType.APPLICATION_JSON)
public class StreamsResource {

    @Inject
    StreamCatalog catalog;

    @GET
    @Operation(summary = "Known streams, newest first")
    public List<StreamInfo> list() {
        return catalog.all();
    }

    @GET
    @Path("/{name}")
    @Operation(summary = "One stream")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = StreamInfo.class)))
    @APIResponse(responseCode = "404", description = "no such stream", content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Response get(@PathParam("name") String name) {
        return catalog.find(name).map(s -> Response.ok(s).build())
                .orElseGet(() -> Problem.of(Response.Status.NOT_FOUND, "No stream named '" + name + "' is known here"));
    }
}
