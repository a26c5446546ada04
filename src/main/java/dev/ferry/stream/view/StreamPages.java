package dev.ferry.stream.view;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.KafkaConsumer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.smallrye.common.annotation.Identifier;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import dev.ferry.DaemonThreads;
import dev.ferry.config.FerryConfig;
import dev.ferry.kafka.KafkaClients;
import dev.ferry.stream.StreamCatalog;
import dev.ferry.stream.StreamInfo;

/**
 * The consumer side of streams over HTTP: {@code /streams} lists them, {@code /streams/{name}} plays one, and
 * {@code /streams/{name}/mjpeg} is the {@code multipart/x-mixed-replace} stream of its frames, one {@link Viewer} per
 * connection. A viewer is known by its user and the {@code ferry-viewer} cookie (or {@code ?viewer=}), which is what
 * lets a reload resume ({@link ViewerPositions}); {@code ?from=start} and {@code ?from=live} choose the position
 * instead. Fair to everyone: at most {@code ferry.streams.max-viewers} in all (503 beyond), at most
 * {@code ferry.streams.max-viewers-per-user} per user or, with access off, per client address (429 beyond), and a
 * client that takes no frame for {@code ferry.streams.idle-timeout} is disconnected.
 */
@ApplicationScoped
public class StreamPages {

    static final String BOUNDARY = "ferryframe";
    static final String COOKIE = "ferry-viewer";
    private static final Pattern VIEWER_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    @Inject
    FerryConfig config;

    @Inject
    StreamCatalog catalog;

    @Inject
    MeterRegistry registry;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    private final ExecutorService viewers = Executors.newCachedThreadPool(DaemonThreads.named("ferry-viewer"));
    private final AtomicInteger watching = new AtomicInteger();
    /** Client ids of viewers' consumers: unique, and naming nobody. */
    private final AtomicLong viewerNumbers = new AtomicLong();
    /** Viewers per user (or client address), for the per-user limit; an entry goes when its count is back to 0. */
    private final Map<String, AtomicInteger> perUser = new ConcurrentHashMap<>();
    private ViewerPositions positions;
    private Counter refusedPerUser;
    private Counter refusedTotal;
    private Counter closedIdle;
    private final String listPage = page("pages/streams.html");
    private final String playerPage = page("pages/stream.html");

    void routes(@Observes Router router) {
        positions = new ViewerPositions(config.streams().viewerPositions(), config.streams().retention());
        Gauge.builder("ferry.stream.viewers", watching, AtomicInteger::get).description("Viewers connected now")
                .register(registry);
        Gauge.builder("ferry.stream.viewers.max", config.streams(), s -> s.maxViewers())
                .description("Viewers allowed at once (ferry.streams.max-viewers)").register(registry);
        Gauge.builder("ferry.stream.viewers.per.user.max", config.streams(), s -> s.maxViewersPerUser())
                .description("Viewers allowed per user (ferry.streams.max-viewers-per-user)").register(registry);
        Gauge.builder("ferry.stream.viewer.positions", positions, ViewerPositions::size)
                .description("Viewer positions kept for reloads").register(registry);
        refusedPerUser = Counter.builder("ferry.stream.viewers.refused").tag("reason", "per-user")
                .description("Viewers refused by a limit").register(registry);
        refusedTotal = Counter.builder("ferry.stream.viewers.refused").tag("reason", "total")
                .description("Viewers refused by a limit").register(registry);
        closedIdle = Counter.builder("ferry.stream.viewers.closed").tag("reason", "idle")
                .description("Viewers disconnected because their client took no frame").register(registry);
        router.get("/streams").handler(ctx -> html(ctx, listPage));
        router.get("/streams/:name").handler(this::player);
        router.get("/streams/:name/mjpeg").handler(this::mjpeg);
    }

    void stop(@Observes ShutdownEvent event) {
        viewers.shutdownNow();
    }

    private void player(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        if (catalog.find(name).isEmpty()) {
            // A page for a browser, not JSON: this is what someone who typed or followed a link sees.
            ctx.response().setStatusCode(404);
            html(ctx,
                    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>No such stream</title>"
                            + "<link rel=\"stylesheet\" href=\"/streams.css\"></head><body><main><h1>No stream named "
                            + escape(name) + "</h1><p>It may not have started yet, or it was sent to another topic. "
                            + "<a href=\"/streams\">All streams</a></p></main></body></html>");
            return;
        }
        viewerId(ctx);
        html(ctx, playerPage.replace("{{path}}", URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"))
                .replace("{{name}}", escape(name)));
    }

    private void mjpeg(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        StreamInfo announced = catalog.find(name).orElse(null);
        if (announced == null) {
            problem(ctx, 404, "No stream named '" + name + "' is known here; see /api/streams");
            return;
        }
        if (announced.state() == StreamInfo.State.FAILED && announced.lastOffset() < 0) {
            // Answered at once: nothing will ever come (a client waiting on a 200 would spin forever).
            problem(ctx, 422, "Stream '" + name + "' failed before its first frame: " + announced.error());
            return;
        }
        Viewer.From from;
        String requested = ctx.queryParams().get("from");
        if (requested == null || requested.isEmpty()) {
            from = Viewer.From.RESUME;
        } else if (requested.equals("start") || requested.equals("live")) {
            from = Viewer.From.valueOf(requested.toUpperCase(Locale.ROOT));
        } else {
            problem(ctx, 400, "from is '" + requested + "'; allowed: start, live, or none to resume");
            return;
        }
        String viewer = viewerId(ctx);
        if (viewer == null) {
            problem(ctx, 400, "viewer must be 1 to 64 letters, digits, '-' or '_'");
            return;
        }
        SecurityIdentity identity = ctx.user() instanceof QuarkusHttpUser u ? u.getSecurityIdentity() : null;
        boolean known = identity != null && !identity.isAnonymous();
        String owner = known ? identity.getPrincipal().getName() : "anonymous";
        String limitedAs = known ? owner : "address " + ctx.request().remoteAddress().hostAddress();
        int maxPerUser = config.streams().maxViewersPerUser();
        if (perUser.computeIfAbsent(limitedAs, k -> new AtomicInteger()).incrementAndGet() > maxPerUser) {
            release(limitedAs);
            refusedPerUser.increment();
            ctx.response().putHeader("Retry-After", "5");
            problem(ctx, 429, "Already " + maxPerUser + " viewers for " + (known ? owner : "this address")
                    + " (ferry.streams.max-viewers-per-user); close one first");
            return;
        }
        int max = config.streams().maxViewers();
        if (watching.incrementAndGet() > max) {
            watching.decrementAndGet();
            release(limitedAs);
            refusedTotal.increment();
            ctx.response().putHeader("Retry-After", "10");
            problem(ctx, 503, "Already " + max + " viewers (ferry.streams.max-viewers); try again when one leaves");
            return;
        }
        KafkaConsumer<String, byte[]> consumer;
        try {
            consumer = new KafkaConsumer<>(
                    KafkaClients.byteReader(kafka, "ferry-viewer-" + viewerNumbers.incrementAndGet()));
        } catch (RuntimeException e) {
            watching.decrementAndGet();
            release(limitedAs);
            problem(ctx, 503, "Cannot read stream '" + name + "' from Kafka: " + e.getMessage());
            return;
        }
        HttpServerResponse response = ctx.response().setChunked(true)
                .putHeader("Content-Type", "multipart/x-mixed-replace; boundary=" + BOUNDARY)
                .putHeader("Cache-Control", "no-cache, no-store").putHeader("X-Ferry-Viewer", viewer);
        MultipartSink sink = new MultipartSink(response, config.streams().idleTimeout(), closedIdle::increment);
        ViewerStats stats = new ViewerStats(
                Counter.builder("ferry.stream.frames.served").description("Frames written to viewers")
                        .tag("stream", name).register(registry),
                Timer.builder("ferry.stream.frame.latency")
                        .description("Live frames: producer's send to delivery to the HTTP client").tag("stream", name)
                        .publishPercentileHistogram().register(registry));
        Viewer v = new Viewer(new ViewerPositions.Key(owner, viewer, name), positions, config.streams().topic(),
                announced, () -> catalog.find(name).orElse(null), from, consumer, sink, stats);
        response.closeHandler(x -> {
            sink.closed();
            try {
                v.wake();
            } catch (RuntimeException e) {
                // the viewer had already finished and closed its consumer
            }
        });
        response.writeHead();
        try {
            viewers.execute(() -> {
                try {
                    v.run();
                } finally {
                    watching.decrementAndGet();
                    release(limitedAs);
                    sink.end();
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down
            watching.decrementAndGet();
            release(limitedAs);
            consumer.close();
            sink.end();
        }
    }

    /** One viewer of {@code limitedAs} fewer; the entry goes with the last, so the map holds only who watches now. */
    private void release(String limitedAs) {
        perUser.computeIfPresent(limitedAs, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** The viewer's id from {@code ?viewer=} or the cookie; a new one (and its cookie) for a first visit. */
    private static String viewerId(RoutingContext ctx) {
        String given = ctx.queryParams().get("viewer");
        if (given == null) {
            Cookie cookie = ctx.request().getCookie(COOKIE);
            given = cookie == null ? null : cookie.getValue();
        }
        if (given != null) {
            return VIEWER_ID.matcher(given).matches() ? given : null;
        }
        String fresh = UUID.randomUUID().toString();
        ctx.response().addCookie(Cookie.cookie(COOKIE, fresh).setPath("/streams").setMaxAge(365L * 24 * 3600)
                .setHttpOnly(true).setSameSite(CookieSameSite.LAX));
        return fresh;
    }

    private static void html(RoutingContext ctx, String page) {
        ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").end(page);
    }

    private static void problem(RoutingContext ctx, int status, String detail) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/problem+json")
                .end(new JsonObject().put("type", "about:blank").put("title", ctx.response().getStatusMessage())
                        .put("status", status).put("detail", detail).encode());
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'",
                "&#39;");
    }

    private static String page(String resource) {
        try (InputStream in = StreamPages.class.getClassLoader().getResourceAsStream(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
