package dev.ferry.testing;

import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;

import org.jboss.logmanager.LogContext;

/**
 * Kafka's loggers at WARN in a JVM that runs a test broker or one of Kafka's tools, as application.properties sets them
 * for Ferry's own test and dev profiles and Kafka's scripts set them for its tools. Outside a Quarkus application
 * nothing configures JBoss LogManager (the SLF4J binding on this class path), and an unconfigured logger is enabled for
 * every level: a broker then built every TRACE and DEBUG message (each request's description, the request log's JSON)
 * for a root logger with no handler, as did the clients of producer-perf and consumer-perf (docs/performance.md).
 */
public final class KafkaLogging {

    private static final List<String> KAFKA_CATEGORIES = List.of("kafka", "org.apache.kafka", "state.change.logger");

    private KafkaLogging() {
    }

    /** Sets Kafka's categories to WARN in this JVM. */
    public static void quiet() {
        LogContext context = LogContext.getLogContext();
        for (String category : KAFKA_CATEGORIES) {
            context.getLogger(category).setLevel(Level.WARNING);
        }
    }

    /** {@code KafkaLogging mainClass args...}: runs a tool's main with Kafka's loggers quiet. */
    public static void main(String[] args) throws Exception {
        quiet();
        Class.forName(args[0]).getMethod("main", String[].class).invoke(null,
                (Object) Arrays.copyOfRange(args, 1, args.length));
    }
}
