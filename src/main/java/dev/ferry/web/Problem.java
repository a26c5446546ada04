package dev.ferry.web;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** An error as problem JSON (RFC 9457): what went wrong, in a sentence a person can act on. */
public record Problem(String type, String title, int status, String detail) {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Response of(Response.Status status, String detail) {
        return Response.status(status).type(MediaType.valueOf(MEDIA_TYPE))
                .entity(new Problem("about:blank", status.getReasonPhrase(), status.getStatusCode(), detail)).build();
    }
}
