package dev.ferry.config;

import jakarta.interceptor.Interceptor;

/**
 * The order of Ferry's start-up steps ({@code StartupEvent} observer priorities). The messaging channels start at
 * {@link Interceptor.Priority#LIBRARY_BEFORE}: the configuration must be checked, the broker reachable, the topics
 * right and the consumer's state loaded before any record flows; the inbox is watched only after that.
 */
public final class StartupOrder {

    public static final int CONFIG_CHECK = Interceptor.Priority.PLATFORM_BEFORE;
    public static final int DEV_BROKER = CONFIG_CHECK + 1;
    /** Signing and trusted keys read (and refused with their key's name if they are not keys). */
    public static final int KEYS = CONFIG_CHECK + 2;
    public static final int ROUTES = CONFIG_CHECK + 5;
    public static final int TOPICS = CONFIG_CHECK + 10;
    public static final int CONSUMER_STATE = CONFIG_CHECK + 20;
    public static final int PRODUCER = Interceptor.Priority.APPLICATION;

    /**
     * Shutdown steps that still need the channels (ending attempts with an abort record, delivering complete files and
     * releasing their acknowledgements so the connector commits them on close) run before the channels stop.
     */
    public static final int STOP_PRODUCER = Interceptor.Priority.PLATFORM_BEFORE;
    public static final int DRAIN_CONSUMER = Interceptor.Priority.PLATFORM_BEFORE + 1;

    private StartupOrder() {
    }
}
