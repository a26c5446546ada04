package dev.ferry.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/** Values computed from {@link FerryConfig}, so every caller computes them the same way. */
public final class Derived {

    private Derived() {
    }

    public static int chunkSize(FerryConfig config) {
        return (int) config.chunkSize().asLongValue();
    }

    public static String deadLetterTopic(FerryConfig config) {
        return config.deadLetterTopic().orElse(config.topic() + "-dlq");
    }

    public static String receiptsTopic(FerryConfig config) {
        return config.receiptsTopic().orElse(config.topic() + "-receipts");
    }

    public static String instanceId(FerryConfig config) {
        return config.instanceId().orElseGet(Derived::hostName);
    }

    public static Path stateDir(FerryConfig config) {
        return config.stateDir().orElseThrow(() -> new IllegalStateException("ferry.state-dir is not set"));
    }

    public static FerryConfig.Role role(FerryConfig config) {
        return config.role().orElseThrow(() -> new IllegalStateException("ferry.role is not set"));
    }

    private static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "ferry";
        }
    }
}
