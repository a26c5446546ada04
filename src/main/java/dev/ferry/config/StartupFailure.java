package dev.ferry.config;

import java.util.logging.LogRecord;

/**
 * A reason Ferry cannot start whose message tells an operator everything (a setting with its key, env var, value and
 * what is allowed; Kafka unreachable or refusing, with the address and what to check). Quarkus would log it as the
 * stack trace of a generic "Failed to start application"; {@link #clarify} makes the reason the line's message instead,
 * once, without a stack trace, in text and JSON logs alike.
 */
public class StartupFailure extends RuntimeException {

    /** What Quarkus says when start-up fails. */
    static final String QUARKUS_FAILED_TO_START = "Failed to start application";

    public StartupFailure(String message) {
        super(message);
    }

    /**
     * If {@code record} is Quarkus's start-up failure caused by a {@link StartupFailure}, rewrites it to carry that
     * reason as its message and no stack trace.
     */
    public static void clarify(LogRecord record) {
        if (record.getThrown() == null || record.getMessage() == null
                || !record.getMessage().startsWith(QUARKUS_FAILED_TO_START)) {
            return;
        }
        for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
            if (t instanceof StartupFailure failure) {
                record.setMessage(failure.getMessage());
                record.setParameters(null);
                record.setThrown(null);
                return;
            }
        }
    }
}
