package dev.ferry.access;

import java.util.Set;

/** The roles Ferry knows, from a users file or from a token's {@code groups} claim. */
public final class Roles {

    /** The dashboard, the API, the streams. */
    public static final String VIEWER = "viewer";
    /** {@code /q/metrics} only (Prometheus). */
    public static final String METRICS = "metrics";
    static final Set<String> ALL = Set.of(VIEWER, METRICS);

    private Roles() {
    }
}
