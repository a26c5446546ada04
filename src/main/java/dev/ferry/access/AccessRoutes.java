package dev.ferry.access;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.security.identity.SecurityIdentity;
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
 * The routes of logging in and out: {@code /api/access} (who the page is shown to, or that access is open, for the
 * dashboard's header), {@code /login/methods} (which ways to log in the login page offers), {@code /login/sso} (where
 * single sign-on starts and, once the identity provider sent the browser back, ends) and {@code /logout}.
 */
@ApplicationScoped
public class AccessRoutes {

    /** Quarkus's form login cookie (quarkus.http.auth.form.cookie-name, left at its default). */
    static final String SESSION_COOKIE = "quarkus-credential";
    /**
     * Quarkus OIDC's session cookie (default tenant), split into {@code q_session_chunk_N} when the tokens are long.
     */
    static final String SSO_COOKIE_PREFIX = "q_session";

    @Inject
    FerryConfig config;

    @ConfigProperty(name = "quarkus.oidc.tenant-enabled", defaultValue = "false")
    boolean sso;

    void routes(@Observes Router router) {
        router.get("/api/access").handler(this::access);
        router.get(AccessGuard.LOGIN_METHODS).handler(ctx -> json(ctx,
                new JsonObject().put("password", config.http().usersFile().isPresent()).put("sso", sso)));
        router.get(AccessGuard.SSO_LOGIN).handler(this::ssoLanded);
        router.get("/logout").handler(this::logout);
    }

    /**
     * Reached only with an identity from the identity provider: Quarkus's permission on this path
     * ({@code quarkus.http.auth.permission.sso}) sent an anonymous browser there first. Sends it on to {@code next}, a
     * path on this server (never elsewhere: an open redirect would lend Ferry's address to phishing).
     */
    private void ssoLanded(RoutingContext ctx) {
        if (!sso) {
            ctx.response().setStatusCode(404).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .end("Single sign-on is not set up here (docs/access.md)\n");
            return;
        }
        String next = ctx.request().getParam("next");
        boolean local = next != null && next.startsWith("/") && !next.startsWith("//") && !next.contains("\\");
        ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, local ? next : "/").end();
    }

    private void logout(RoutingContext ctx) {
        // Expired with the path they were set with: without it a browser keeps a session cookie. (Quarkus's
        // FormAuthenticationMechanism.logout does the first, but only on a request its form session authenticated.)
        ctx.response().addCookie(Cookie.cookie(SESSION_COOKIE, "").setPath("/").setMaxAge(0).setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT));
        // Ferry's own session with the identity provider ends; the provider's session stays (as for any
        // single-sign-on application: signing out there is the provider's own page).
        for (Cookie cookie : ctx.request().cookies()) {
            if (cookie.getName().startsWith(SSO_COOKIE_PREFIX)) {
                ctx.response()
                        .addCookie(Cookie.cookie(cookie.getName(), "").setPath("/").setMaxAge(0).setHttpOnly(true));
            }
        }
        ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, AccessGuard.LOGIN_PAGE).end();
    }

    private void access(RoutingContext ctx) {
        SecurityIdentity identity = ctx.user() instanceof QuarkusHttpUser u ? u.getSecurityIdentity() : null;
        JsonObject body = new JsonObject().put("open", !config.http().authRequired());
        if (identity != null && !identity.isAnonymous()) {
            body.put("user", identity.getPrincipal().getName()).put("roles",
                    new JsonArray(identity.getRoles().stream().sorted().toList()));
        }
        json(ctx, body);
    }

    private static void json(RoutingContext ctx, JsonObject body) {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    }
}
