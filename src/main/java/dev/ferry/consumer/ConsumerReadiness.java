package dev.ferry.consumer;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while the consumer cannot write (see {@link StorageStatus}): it consumes nothing until it can. */
@Readiness
@ApplicationScoped
public class ConsumerReadiness implements HealthCheck {

    @Inject
    ConsumerService consumer;

    @Override
    public HealthCheckResponse call() {
        var response = HealthCheckResponse.named("ferry-consumer-storage");
        if (!consumer.running()) {
            return response.up().withData("role", "not a consumer").build();
        }
        return consumer.storage().problem().map(p -> response.down().withData("problem", p).build())
                .orElseGet(() -> response.up().build());
    }
}
