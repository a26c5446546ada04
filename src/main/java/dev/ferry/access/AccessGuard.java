package dev.ferry.access;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

import dev.ferry.config.FerryConfig;

/**
 * Who may see what over HTTP, in one place. Runs after Quarkus has found who is asking (a browser session from
 * {@code /j_security_check} or from the identity provider, or a bearer token) and decides:
 * <ul>
 * <li>the probes ({@code /q/health}) and the login page are open, for the kubelet and for logging in (single sign-on's
 * {@code /login/sso} is guarded by Quarkus itself, which sends a browser to the identity provider);</li>
 * <li>{@code /q/metrics} needs the role {@value Roles#METRICS};</li>
 * <li>a page ({@code /}, {@code /streams}, {@code /streams/{name}}) asked for without a session sends the browser to
 * log in, and back afterwards;</li>
 * <li>everything else (API, video, scripts, OpenAPI) needs the role {@value Roles#VIEWER}: 401 without credentials, 403
 * with the wrong ones.</li>
 * </ul>
 * With {@code ferry.http.auth=off} (dev mode and tests; or behind a proxy that authenticates) everything is open and
 * the dashboard says so.
 */
@ApplicationScoped
public class AccessGuard {

    /** After Quarkus's authentication (200) and authorization (100) filters. */
    static final int PRIORITY = 50;
    static final String LOGIN_PAGE = "/login.html";
    static final String LOGIN_METHODS = "/login/methods";
    /** Single sign-on: Quarkus's permission {@code sso} makes the identity provider authenticate this path. */
    static final String SSO_LOGIN = "/login/sso";
    /** Where the form login sends the browser back to; Quarkus's form mechanism reads this cookie. */
    static final String RETURN_COOKIE = "quarkus-redirect-location";
    private static final Pattern STREAM_PAGE = Pattern.compile("/streams/[^/]+/?");

    enum Area {
        OPEN, METRICS, PAGE, DATA
    }

    @Inject
    FerryConfig config;

    void register(@Observes Filters filters) {
        filters.register(this::guard, PRIORITY);
    }

    static Area areaOf(HttpMethod method, String path) {
        if (path.equals("/q/health") || path.startsWith("/q/health/") || path.equals(LOGIN_PAGE)
                || path.equals("/login.css") || path.equals(LOGIN_METHODS) || path.equals(SSO_LOGIN)
                || path.equals("/logout")) {
            return Area.OPEN;
        }
        if (path.equals("/q/metrics") || path.startsWith("/q/metrics/")) {
            return Area.METRICS;
        }
        if (method == HttpMethod.GET && (path.equals("/") || path.equals("/index.html") || path.equals("/streams")
                || STREAM_PAGE.matcher(path).matches())) {
            return Area.PAGE;
        }
        return Area.DATA;
    }

    private void guard(RoutingContext ctx) {
        if (!config.http().authRequired()) {
            ctx.next();
            return;
        }
        String path = ctx.normalizedPath();
        Area area = areaOf(ctx.request().method(), path);
        if (area == Area.OPEN) {
            ctx.next();
            return;
        }
        SecurityIdentity identity = ctx.user() instanceof QuarkusHttpUser u ? u.getSecurityIdentity() : null;
        boolean anonymous = identity == null || identity.isAnonymous();
        String role = area == Area.METRICS ? Roles.METRICS : Roles.VIEWER;
        if (!anonymous && identity.hasRole(role)) {
            // Not kept by the browser: after logging out, the back button or the address shows nothing from the
            // session (static pages are otherwise cached for a day).
            ctx.addHeadersEndHandler(v -> ctx.response().headers().set(HttpHeaders.CACHE_CONTROL, "no-store"));
            ctx.next();
            return;
        }
        if (area == Area.PAGE && anonymous) {
            String uri = ctx.request().uri();
            // Absolute, as Quarkus's form mechanism checks it is on this server before it sends the browser back.
            ctx.response().addCookie(Cookie.cookie(RETURN_COOKIE, ctx.request().absoluteURI()).setPath("/")
                    .setHttpOnly(true).setSameSite(CookieSameSite.STRICT));
            ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION,
                    LOGIN_PAGE + "?next=" + URLEncoder.encode(uri, StandardCharsets.UTF_8)).end();
            return;
        }
        if (anonymous) {
            ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"ferry\"")
                    .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                    .end("Log in (" + LOGIN_PAGE + ") or send a bearer token\n");
            return;
        }
        ctx.response().setStatusCode(403).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .end(identity.getPrincipal().getName() + " does not have the role " + role + "\n");
    }
}
