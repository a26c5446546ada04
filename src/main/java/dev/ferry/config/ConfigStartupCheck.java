package dev.ferry.config;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import io.quarkus.runtime.StartupEvent;

/** Runs {@link FerryConfigCheck} before anything else starts, so a bad setting stops Ferry with a clear message. */
@ApplicationScoped
public class ConfigStartupCheck {

    @Inject
    FerryConfig config;

    void check(@Observes @Priority(StartupOrder.CONFIG_CHECK) StartupEvent event) {
        FerryConfigCheck.check(config);
    }
}
