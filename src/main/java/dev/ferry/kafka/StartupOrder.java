package dev.ferry.kafka;

import jakarta.interceptor.Interceptor;

/**
 * The order of Ferry's start-up steps ({@code StartupEvent} observer priorities). The messaging channels start at
 * {@link Interceptor.Priority#LIBRARY_BEFORE}: the configuration must be checked, the broker reachable, the topics
 * right and the consumer's state loaded before any record flows; the inbox is watched only after that.
 */
public final class StartupOrder {

    public static final int CONFIG_CHECK = Interceptor.Priority.PLATFORM_BEFORE;
    public static final int DEV_BROKER = CONFIG_CHECK + 1;
    public static final int TOPICS = CONFIG_CHECK + 10;
    public static final int CONSUMER_STATE = CONFIG_CHECK + 20;
    public static final int PRODUCER = Interceptor.Priority.APPLICATION;

    private StartupOrder() {
    }
}
