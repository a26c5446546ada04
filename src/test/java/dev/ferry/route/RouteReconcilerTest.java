package dev.ferry.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.ferry.chunk.ChunkCompression;
import dev.ferry.config.FerryConfig.SourcePolicy;

/** The one loop both roles use to follow their routes: start, stop, restart on change, retry what failed. */
class RouteReconcilerTest {

    /** Records what it was asked to do; routes named in {@link #failing} cannot start. */
    static final class Recorder implements RouteReconciler.Role<Route> {
        final List<String> log = new ArrayList<>();
        final Set<String> failing = new HashSet<>();

        @Override
        public Route route(Route running) {
            return running;
        }

        @Override
        public boolean unchanged(Route have, Route want) {
            return have.topic().equals(want.topic());
        }

        @Override
        public Route start(Route route) throws IOException {
            if (failing.contains(route.name())) {
                throw new IOException("topic " + route.topic() + " unreachable");
            }
            log.add("start " + route.name() + " " + route.topic());
            return route;
        }

        @Override
        public void stop(Route running, String why) {
            log.add("stop " + running.name() + " " + why);
        }
    }

    static Route route(String name, String topic) {
        return new Route(name, Optional.of(Path.of("/in/" + name)), Optional.of(Path.of("/out/" + name)), topic,
                List.of("**"), List.of(), 1024 * 1024, SourcePolicy.KEEP, Optional.empty(), ChunkCompression.NONE,
                Optional.empty());
    }

    @Test
    void startsNewStopsRemovedAndRestartsChangedRoutes() {
        Recorder role = new Recorder();
        RouteReconciler<Route> routes = new RouteReconciler<>(role);
        routes.reconcile(new Routes(List.of(route("a", "t1"), route("b", "t2"))), true);
        routes.reconcile(new Routes(List.of(route("a", "t1"), route("b", "t3"), route("c", "t4"))), false);
        routes.reconcile(new Routes(List.of(route("c", "t4"))), false);

        assertThat(role.log).containsExactly("start a t1", "start b t2", "stop b changed", "start b t3", "start c t4",
                "stop a removed", "stop b removed");
        assertThat(routes.running()).extracting(Route::name).containsExactly("c");
    }

    @Test
    void aRouteThatCannotStartStopsStartUpButIsRetriedLater() {
        Recorder role = new Recorder();
        RouteReconciler<Route> routes = new RouteReconciler<>(role);
        role.failing.add("b");
        Routes wanted = new Routes(List.of(route("a", "t1"), route("b", "t2")));

        assertThatThrownBy(() -> routes.reconcile(wanted, true)).isInstanceOf(IllegalStateException.class)
                .hasMessage("Route b cannot start: topic t2 unreachable");

        routes.reconcile(wanted, false); // live: b is logged and left for the retry
        assertThat(routes.running()).extracting(Route::name).containsExactly("a");
        routes.retryFailed(wanted);
        assertThat(routes.running()).extracting(Route::name).containsExactly("a");

        role.failing.clear();
        routes.retryFailed(wanted);
        assertThat(routes.running()).extracting(Route::name).containsExactly("a", "b");
        assertThat(role.log).containsExactly("start a t1", "start b t2");
    }
}
