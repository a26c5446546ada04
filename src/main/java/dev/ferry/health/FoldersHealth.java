package dev.ferry.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

import dev.ferry.config.FerryConfig;
import dev.ferry.route.Route;
import dev.ferry.route.RouteTable;

/**
 * Readiness of the folders of every route and the state dir ({@code ferry-folders}): down while an inbox cannot be
 * read, an outbox or the state dir cannot be written, or free space where Ferry writes is below
 * {@code ferry.min-free-disk}; up again by itself once that is fixed.
 */
@Readiness
@ApplicationScoped
public class FoldersHealth implements HealthCheck {

    @Inject
    FerryConfig config;

    @Inject
    RouteTable routes;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("ferry-folders");
        if (config.role().isEmpty() || config.stateDir().isEmpty()) {
            return response.up().build();
        }
        List<FolderCheck.Folder> folders = new ArrayList<>();
        folders.add(new FolderCheck.Folder("state dir", config.requiredStateDir(), true));
        FerryConfig.Role role = config.requiredRole();
        try {
            for (Route r : routes.current().all()) {
                if (role.produces()) {
                    r.inbox().ifPresent(p -> folders.add(new FolderCheck.Folder(r.name() + " inbox", p, false)));
                }
                if (role.consumes()) {
                    r.outbox().ifPresent(p -> folders.add(new FolderCheck.Folder(r.name() + " outbox", p, true)));
                }
            }
        } catch (IllegalStateException notLoaded) {
            // Before start-up loaded the routes: the state dir alone.
        }
        List<String> problems = FolderCheck.problems(folders, config.minFreeDisk().asLongValue(),
                FoldersHealth::usable);
        if (problems.isEmpty()) {
            return response.up().withData("folders", folders.size()).build();
        }
        return response.down().withData("problems", String.join("; ", problems)).build();
    }

    private static long usable(Path path) {
        try {
            return Files.getFileStore(path).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }
}
