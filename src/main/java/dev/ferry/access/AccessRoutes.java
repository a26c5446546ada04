package dev.ferry.access;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.FormAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import dev.ferry.config.FerryConfig;

/**
 * {@code /api/access}: who the page is shown to (name, roles), or that access is open, for the dashboard's header; and
 * {@code /logout}, which ends a browser session.
 */
@ApplicationScoped
public class AccessRoutes {

    /** Quarkus's form login cookie (quarkus.http.auth.form.cookie-name, left at its default). */
    static final String SESSION_COOKIE = "quarkus-credential";

    @Inject
    FerryConfig config;

    void routes(@Observes Router router) {
        router.get("/api/access").handler(this::access);
        router.get("/logout").handler(ctx -> {
            FormAuthenticationMechanism.logout(ctx);
            // Expired with the path it was set with: without the path a browser keeps the session cookie.
            ctx.response().addCookie(Cookie.cookie(SESSION_COOKIE, "").setPath("/").setMaxAge(0).setHttpOnly(true)
                    .setSameSite(CookieSameSite.STRICT));
            ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, AccessGuard.LOGIN_PAGE).end();
        });
    }

    private void access(RoutingContext ctx) {
        SecurityIdentity identity = ctx.user() instanceof QuarkusHttpUser u ? u.getSecurityIdentity() : null;
        JsonObject body = new JsonObject().put("open", !config.http().authRequired());
        if (identity != null && !identity.isAnonymous()) {
            body.put("user", identity.getPrincipal().getName()).put("roles",
                    new JsonArray(identity.getRoles().stream().sorted().toList()));
        }
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    }
}
