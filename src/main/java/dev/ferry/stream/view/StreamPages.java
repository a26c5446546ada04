package dev.ferry.stream.view;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
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
 * connection. A viewer is known by the {@code ferry-viewer} cookie (or {@code ?viewer=}), which is what lets a reload
 * resume; {@code ?from=start} and {@code ?from=live} choose the position instead.
 */
@ApplicationScoped
public class StreamPages {

    static final String BOUNDARY = "ferryframe";
    static final String COOKIE = "ferry-viewer";
    /** Each viewer holds a thread and a Kafka consumer. */
    static final int MAX_VIEWERS = 32;
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
    private final String listPage = page("pages/streams.html");
    private final String playerPage = page("pages/stream.html");

    void routes(@Observes Router router) {
        Gauge.builder("ferry.stream.viewers", watching, AtomicInteger::get).description("Viewers connected now")
                .register(registry);
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
            problem(ctx, 404, "No stream named '" + name + "' is known here; see /streams");
            return;
        }
        viewerId(ctx);
        html(ctx, playerPage.replace("{{path}}", URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"))
                .replace("{{name}}", escape(name)));
    }

    private void mjpeg(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        StreamInfo known = catalog.find(name).orElse(null);
        if (known == null) {
            problem(ctx, 404, "No stream named '" + name + "' is known here; see /api/streams");
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
        if (watching.incrementAndGet() > MAX_VIEWERS) {
            watching.decrementAndGet();
            problem(ctx, 503, "Already " + MAX_VIEWERS + " viewers; try again when one leaves");
            return;
        }
        KafkaConsumer<String, byte[]> consumer;
        try {
            consumer = new KafkaConsumer<>(
                    KafkaClients.positionedReader(kafka, "ferry-viewer-" + viewer, Viewer.groupOf(viewer, name)));
        } catch (RuntimeException e) {
            watching.decrementAndGet();
            problem(ctx, 503, "Cannot read stream '" + name + "' from Kafka: " + e.getMessage());
            return;
        }
        HttpServerResponse response = ctx.response().setChunked(true)
                .putHeader("Content-Type", "multipart/x-mixed-replace; boundary=" + BOUNDARY)
                .putHeader("Cache-Control", "no-cache, no-store").putHeader("X-Ferry-Viewer", viewer);
        MultipartSink sink = new MultipartSink(response);
        ViewerStats stats = new ViewerStats(
                Counter.builder("ferry.stream.frames.served").description("Frames written to viewers")
                        .tag("stream", name).register(registry),
                Timer.builder("ferry.stream.frame.latency")
                        .description("Live frames: producer's send to delivery to the HTTP client").tag("stream", name)
                        .publishPercentileHistogram().register(registry));
        Viewer v = new Viewer(name, viewer, config.streams().topic(), known, from, consumer, sink, stats);
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
                    sink.end();
                }
            });
        } catch (RejectedExecutionException e) {
            // shutting down
            watching.decrementAndGet();
            consumer.close();
            sink.end();
        }
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
