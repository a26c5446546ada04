package dev.ferry.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import dev.ferry.route.RouteTable;
import dev.ferry.route.Routes;

/**
 * The routes in force, in the readiness output ({@code /q/health/ready}). Always up: a rejected edit of the routes file
 * leaves the last good routes running, so it is shown here (and logged) but does not take the pod out of service.
 */
@Readiness
@ApplicationScoped
public class RoutesHealth implements HealthCheck {

    @Inject
    RouteTable table;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("ferry-routes").up();
        Routes routes;
        try {
            routes = table.current();
        } catch (IllegalStateException e) {
            return response.withData("routes", "not loaded yet").build();
        }
        response.withData("routes", table.describe(routes));
        table.file().ifPresent(f -> response.withData("file", f.toString()));
        response.withData("applied", table.lastApplied().toString());
        table.lastRejection().ifPresent(r -> response.withData("rejected-edit", r));
        return response.build();
    }
}
