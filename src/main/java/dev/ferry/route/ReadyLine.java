package dev.ferry.route;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.ferry.config.FerryConfig;

/**
 * The one line that says Ferry is ready and what to do now: where to drop files, where they arrive, where the dashboard
 * is. Logged last among Ferry's start-up steps, after every route started.
 */
@ApplicationScoped
public class ReadyLine {

    private static final Logger LOG = Logger.getLogger("dev.ferry");
    /** After the producer's and consumer's start-up steps (which run at APPLICATION). */
    private static final int AFTER_EVERYTHING = Interceptor.Priority.LIBRARY_AFTER;

    @Inject
    FerryConfig config;

    @Inject
    RouteTable routes;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080")
    int httpPort;

    @ConfigProperty(name = "quarkus.http.ssl-port", defaultValue = "8443")
    int httpsPort;

    @ConfigProperty(name = "quarkus.http.insecure-requests")
    Optional<String> insecureRequests;

    void ready(@Observes @Priority(AFTER_EVERYTHING) StartupEvent event) {
        if (config.role().isEmpty()) {
            return;
        }
        FerryConfig.Role role = config.role().get();
        List<Route> all;
        try {
            all = routes.current().all();
        } catch (IllegalStateException notLoaded) {
            return; // start-up failed before the routes: its own line says why
        }
        if (all.isEmpty()) {
            return;
        }
        Route first = all.get(0);
        StringBuilder line = new StringBuilder("Ferry ready (")
                .append(role == FerryConfig.Role.BOTH ? "producer and consumer" : role.name().toLowerCase(Locale.ROOT))
                .append(")");
        if (role.produces()) {
            line.append(": drop files into ").append(folder(first.inbox()))
                    .append(" (write a .part name, then rename)");
        }
        if (role.consumes()) {
            line.append(role.produces() ? "; they arrive in " : ": files arrive in ").append(folder(first.outbox()));
        }
        if (all.size() > 1) {
            line.append(" (route ").append(first.name()).append("; ").append(all.size() - 1)
                    .append(" more on the dashboard)");
        }
        line.append(". Dashboard: ").append(dashboard());
        LOG.info(line);
    }

    private String dashboard() {
        boolean plain = insecureRequests.map(v -> !v.equalsIgnoreCase("disabled")).orElse(true);
        return plain ? "http://localhost:" + httpPort + "/" : "https://localhost:" + httpsPort + "/";
    }

    private static String folder(Optional<Path> path) {
        return path.map(p -> p.toAbsolutePath().normalize().toString()).orElse("(not set)");
    }
}
