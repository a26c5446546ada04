package dev.ferry.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.junit.jupiter.api.Test;

/** What the console leaves out: per-record connector errors Ferry reports itself, and Kafka's reconnect chatter. */
class ConsoleLogFilterTest {

    private final ConsoleLogFilter filter = new ConsoleLogFilter();

    private static LogRecord record(String logger, String message) {
        LogRecord r = new LogRecord(Level.WARNING, message);
        r.setLoggerName(logger);
        return r;
    }

    @Test
    void theConnectorsPerChunkErrorsAreLeftToTheSendersOwnLine() {
        assertThat(filter.isLoggable(record("io.smallrye.reactive.messaging.kafka",
                "SRMSG18212: Message m from channel 'chunks-out' was not sent to Kafka topic 't' - nacking message")))
                        .isFalse();
        assertThat(filter.isLoggable(record("io.smallrye.reactive.messaging.kafka",
                "SRMSG18206: Unable to write to Kafka from channel chunks-out (topic: t)"))).isFalse();
        assertThat(filter.isLoggable(record("io.smallrye.reactive.messaging.kafka",
                "SRMSG18206: Unable to write to Kafka from channel other (topic: t)"))).as("another channel's")
                        .isTrue();
    }

    @Test
    void reconnectWarningsWaitForKafkaThenComeOncePerBrokerAMinute() {
        String refused = "[Producer clientId=p] Connection to node -1 (localhost/127.0.0.1:9092) could not be "
                + "established. Node may not be available.";
        String other = "[Producer clientId=p] Connection to node 2 (kafka-2/10.0.0.2:9092) could not be established.";
        long t = 1_000_000_000_000L;
        ConsoleLogFilter.kafkaReached();
        assertThat(ConsoleLogFilter.connectionWarningIsNews(refused, t)).isTrue();
        assertThat(ConsoleLogFilter.connectionWarningIsNews(refused, t + 1_000_000_000L)).as("a second later")
                .isFalse();
        assertThat(ConsoleLogFilter.connectionWarningIsNews(other, t + 1_000_000_000L)).as("another broker").isTrue();
        assertThat(ConsoleLogFilter.connectionWarningIsNews(refused,
                t + ConsoleLogFilter.CONNECTION_WARNING_INTERVAL_NANOS)).as("a minute later").isTrue();
        assertThat(ConsoleLogFilter
                .connectionWarningIsNews("Attempting to close NetworkClient that has already been " + "closed.", t))
                        .isFalse();
    }
}
