package dev.ferry;

import java.util.concurrent.ThreadFactory;

/**
 * Threads for Ferry's own background work (watchers, timers, senders, viewers): named, so a thread dump says what each
 * one does, and daemons, so none keeps the JVM alive past Quarkus' shutdown, which stops them in order.
 */
public final class DaemonThreads {

    private DaemonThreads() {
    }

    public static ThreadFactory named(String name) {
        return runnable -> {
            Thread t = new Thread(runnable, name);
            t.setDaemon(true);
            return t;
        };
    }
}
