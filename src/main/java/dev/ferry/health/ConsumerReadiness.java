package dev.ferry.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import dev.ferry.consumer.ConsumerService;

/**
 * Not ready while the consumer cannot write (disk full, staging or delivery failing, dead letters not written): it
 * consumes nothing until it can.
 */
@Readiness
@ApplicationScoped
public class ConsumerReadiness implements HealthCheck {

    @Inject
    ConsumerService consumer;

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("ferry-consumer-storage");
        if (!consumer.isRunning()) {
            return response.up().withData("role", "not a consumer").build();
        }
        return consumer.storageProblem().map(p -> response.down().withData("problem", p).build())
                .orElseGet(() -> response.up().build());
    }
}
