package dev.ferry.kafka;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jboss.logmanager.ExtLogRecord;

import io.quarkus.logging.LoggingFilter;

import dev.ferry.config.StartupFailure;

/**
 * What reaches the console, in one place (Quarkus allows one console filter):
 * <ul>
 * <li>a start-up failure Ferry explained becomes a plain line ({@link StartupFailure});</li>
 * <li>SmallRye's SRMSG00207 ("some components are not connected") is dropped when it only lists Ferry's own channels:
 * one jar serves both roles, so each role disables the other role's channel on purpose, and the warning would teach
 * operators to ignore warnings. Any other unconnected component is still reported;</li>
 * <li>the connector's per-record errors for the chunk channel (SRMSG18206 "Unable to write to Kafka", SRMSG18212 "was
 * not sent ... nacking message", each with a stack trace, up to one per chunk in flight): the sender ends the attempt
 * with one line and the reason in words ({@code producer/FileSender}), where the connector said "Retries exhausted : 0
 * attempts" for a send that expired;</li>
 * <li>the Kafka client's "connection could not be established" and "disconnected" warnings, which it repeats every
 * reconnect backoff (about a second) for every client: before Kafka was first reached they are dropped, as
 * {@link TopicProvisioner} says once per interval what it waits for; after that, one per broker address a minute.</li>
 * </ul>
 */
@LoggingFilter(name = "ferry-console")
public final class ConsoleLogFilter implements Filter {

    static final long CONNECTION_WARNING_INTERVAL_NANOS = 60_000_000_000L;
    private static final int MAX_REMEMBERED = 256;
    private static final String NETWORK_CLIENT = "org.apache.kafka.clients.NetworkClient";
    private static final Pattern BROKER = Pattern.compile("(?:node \\S+ \\(|broker )([^ )]+)");
    private static volatile boolean kafkaReached;
    private static final Map<String, Long> lastConnectionWarning = new ConcurrentHashMap<>();

    /** Kafka answered once: from now on its connection warnings say something new (rate-limited). */
    static void kafkaReached() {
        kafkaReached = true;
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        StartupFailure.clarify(record);
        String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
        if (message == null) {
            return true;
        }
        if (NETWORK_CLIENT.equals(record.getLoggerName())) {
            return connectionWarningIsNews(message, System.nanoTime());
        }
        if (message.contains("SRMSG18235")) {
            return false;
        }
        if ((message.contains("SRMSG18206") || message.contains("SRMSG18212"))
                && message.contains(Channels.CHUNKS_OUT)) {
            return false;
        }
        if (!message.contains("SRMSG00207")) {
            return true;
        }
        for (String line : message.split("\n")) {
            String item = line.trim();
            if (item.startsWith("- ") && !item.contains(Channels.CHUNKS_IN) && !item.contains(Channels.CHUNKS_OUT)) {
                return true;
            }
        }
        return false;
    }

    static boolean connectionWarningIsNews(String message, long now) {
        if (message.contains("Attempting to close NetworkClient that has already been closed")) {
            return false; // harmless: a client closed twice while a broker shuts down
        }
        boolean connection = message.contains("could not be established") || message.contains(") disconnected");
        if (!connection) {
            return true;
        }
        if (!kafkaReached) {
            return false;
        }
        Matcher broker = BROKER.matcher(message);
        String key = broker.find() ? broker.group(1) : message;
        Long last = lastConnectionWarning.get(key);
        if (last != null && now - last < CONNECTION_WARNING_INTERVAL_NANOS) {
            return false;
        }
        if (lastConnectionWarning.size() >= MAX_REMEMBERED) {
            lastConnectionWarning.clear(); // a key per broker; a flood of odd messages costs a repeat, not memory
        }
        lastConnectionWarning.put(key, now);
        return true;
    }
}
