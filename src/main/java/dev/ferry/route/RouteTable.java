package dev.ferry.route;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.StartupOrder;

/**
 * The routes this process runs: from {@code ferry.routes-file} when set (re-read whenever it changes, see
 * {@link RoutesWatch}), otherwise the single route "default" made of the flat keys. An invalid file stops start-up with
 * every problem listed; an invalid edit later is rejected with a log line and the last good routes keep running, the
 * way an operator reconciles desired state.
 */
@ApplicationScoped
public class RouteTable {

    private static final Logger LOG = Logger.getLogger(RouteTable.class);

    @Inject
    FerryConfig config;

    private final List<Consumer<Routes>> listeners = new CopyOnWriteArrayList<>();
    private volatile Routes current;
    private volatile String lastRejection;
    private volatile Instant lastApplied;
    private RoutesWatch watch;

    void load(@Observes @Priority(StartupOrder.ROUTES) StartupEvent event) throws IOException {
        if (config.role().isEmpty()) {
            return;
        }
        Optional<Path> file = config.routesFile();
        if (file.isEmpty()) {
            current = new Routes(List.of(defaultRoute()));
            lastApplied = Instant.now();
            return;
        }
        try {
            current = read(file.get());
        } catch (InvalidRoutesException e) {
            throw new IllegalStateException("Ferry cannot start: " + e.getMessage());
        }
        lastApplied = Instant.now();
        LOG.infof("Routes from %s: %s", file.get(), describe(current));
        watch = new RoutesWatch(file.get(), this::reload);
        watch.start();
    }

    void stop(@Observes @Priority(StartupOrder.STOP_PRODUCER - 1) ShutdownEvent event) {
        if (watch != null) {
            watch.stop();
        }
    }

    /** The routes in force. */
    public Routes current() {
        Routes r = current;
        if (r == null) {
            throw new IllegalStateException("Routes are not loaded yet");
        }
        return r;
    }

    /** Called, on the watcher's thread, with every new valid set of routes. */
    public void onChange(Consumer<Routes> listener) {
        listeners.add(listener);
    }

    /** Why the last edit of the routes file was rejected, if it was and no valid edit came after. */
    public Optional<String> lastRejection() {
        return Optional.ofNullable(lastRejection);
    }

    public Optional<Path> file() {
        return config.routesFile();
    }

    public Instant lastApplied() {
        return lastApplied;
    }

    /** The consumer's subscription: every topic a route may name, fixed at start-up. */
    public Pattern topicPattern() {
        return Pattern
                .compile(config.topics().topicPattern().orElse(Pattern.quote(config.topics().topic()) + "(\\..+)?"));
    }

    public String describe(Routes routes) {
        FerryConfig.Role role = config.requiredRole();
        return routes.all().stream().map(r -> r.describe(role.produces(), role.consumes())).toList().toString();
    }

    void reload(String text) {
        Routes next;
        try {
            next = RoutesFile.parse(text, config.routesFile().orElseThrow().toString(), defaults());
        } catch (InvalidRoutesException e) {
            lastRejection = e.getMessage();
            LOG.errorf("Rejected the edit of the routes file; the last good routes keep running. %s", e.getMessage());
            return;
        }
        lastRejection = null;
        if (next.equals(current)) {
            return;
        }
        LOG.infof("Routes changed: %s", describe(next));
        current = next;
        lastApplied = Instant.now();
        for (Consumer<Routes> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                LOG.errorf(e, "Applying the new routes failed");
            }
        }
    }

    private Routes read(Path file) throws IOException, InvalidRoutesException {
        return RoutesFile.parse(Files.readString(file), file.toString(), defaults());
    }

    RoutesFile.Defaults defaults() {
        FerryConfig.Role role = config.requiredRole();
        return new RoutesFile.Defaults(config.topics().topic(), config.producer().include(),
                config.producer().exclude(), config.topics().chunkBytes(), config.producer().sourcePolicy(),
                config.producer().archive(), config.producer().compression(), config.trust().encryptionKey(),
                Set.of(config.topics().deadLetterTopicName(), config.topics().receiptsTopicName()), role.produces(),
                role.consumes(), topicPattern());
    }

    private Route defaultRoute() {
        return new Route(Route.DEFAULT, config.producer().inbox().map(p -> p.toAbsolutePath().normalize()),
                config.consumer().outbox().map(p -> p.toAbsolutePath().normalize()), config.topics().topic(),
                config.producer().include(), config.producer().exclude(), config.topics().chunkBytes(),
                config.producer().sourcePolicy(), config.producer().archive(), config.producer().compression(),
                config.trust().encryptionKey());
    }
}
