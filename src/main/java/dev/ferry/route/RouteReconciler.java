package dev.ferry.route;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jboss.logging.Logger;

import dev.ferry.DaemonThreads;

/**
 * Keeps what a role runs for each route in line with the routes in force, for both roles: routes that appear are
 * started, routes that disappear or change are stopped (and a changed one started again), and a route that could not
 * start (its topic unreachable or too small, its folder missing) is tried again every {@link #RETRY}. At start-up a
 * route that cannot run is a configuration error and stops the process with its reason.
 * <p>
 * What "start" and "stop" mean is the role's ({@link Role}): the producer watches an inbox, the consumer opens an
 * assembler and retires it without losing what it holds.
 *
 * @param <T>
 *            what the role runs for one route
 */
public final class RouteReconciler<T> implements AutoCloseable {

    /** How often a route that could not start is tried again. */
    public static final Duration RETRY = Duration.ofSeconds(10);

    private static final Logger LOG = Logger.getLogger(RouteReconciler.class);

    private final Role<T> role;
    /** What runs, by route name, in the order the routes were started. */
    private final Map<String, T> running = new LinkedHashMap<>();
    private ScheduledExecutorService retries;

    /** What one role does with a route. */
    public interface Role<T> {

        /** The route {@code running} was started for. */
        Route route(T running);

        /** True if what runs for {@code have} may serve {@code want} (a route of the same name) unchanged. */
        boolean unchanged(Route have, Route want);

        /**
         * Starts what runs for {@code route}.
         *
         * @throws IOException
         *             or a RuntimeException: it cannot run now (tried again after {@link #RETRY})
         */
        T start(Route route) throws IOException, InterruptedException;

        /** Stops what runs for a route that was removed or changed ({@code why} says which). */
        void stop(T running, String why);

        /** After every reconciliation, with what it started; nothing by default. */
        default void reconciled(List<T> started) {
        }
    }

    public RouteReconciler(Role<T> role) {
        this.role = role;
    }

    /**
     * Starts a route for each route of {@code table} (failing start-up if one cannot run), follows the table's changes,
     * and tries failed routes again every {@link #RETRY} on a daemon thread named {@code threadName}.
     */
    public void follow(RouteTable table, String threadName) {
        reconcile(table.current(), true);
        table.onChange(routes -> reconcile(routes, false));
        retries = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named(threadName));
        long period = RETRY.toMillis();
        retries.scheduleWithFixedDelay(() -> retryFailed(table.current()), period, period, TimeUnit.MILLISECONDS);
    }

    /** Brings what runs in line with {@code routes}. */
    public synchronized void reconcile(Routes routes, boolean startup) {
        Map<String, Route> wanted = routes.byName();
        for (Map.Entry<String, T> e : List.copyOf(running.entrySet())) {
            Route want = wanted.get(e.getKey());
            if (want == null || !role.unchanged(role.route(e.getValue()), want)) {
                running.remove(e.getKey());
                role.stop(e.getValue(), want == null ? "removed" : "changed");
            }
        }
        List<T> started = new ArrayList<>();
        for (Route r : wanted.values()) {
            if (running.containsKey(r.name())) {
                continue;
            }
            try {
                T t = role.start(r);
                running.put(r.name(), t);
                started.add(t);
            } catch (IOException | RuntimeException e) {
                if (startup) {
                    throw new IllegalStateException("Route " + r.name() + " cannot start: " + e.getMessage(), e);
                }
                LOG.errorf("Route %s cannot start: %s; tried again every %d s", r.name(), e.getMessage(),
                        RETRY.toSeconds());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        role.reconciled(started);
    }

    /** Reconciles again if a route in force is not running (it failed to start). */
    void retryFailed(Routes routes) {
        boolean missing;
        synchronized (this) {
            missing = !running.keySet().containsAll(routes.byName().keySet());
        }
        if (missing) {
            reconcile(routes, false);
        }
    }

    /** What runs now, in the order it was started. */
    public synchronized List<T> running() {
        return List.copyOf(running.values());
    }

    /** Stops retrying; what runs is the role's to stop. */
    @Override
    public void close() {
        if (retries != null) {
            retries.shutdownNow();
        }
    }
}
