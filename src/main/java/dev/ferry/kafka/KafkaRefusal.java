package dev.ferry.kafka;

import java.util.Optional;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.jboss.logging.Logger;

/**
 * Turns Kafka's authentication failures into a sentence an operator can act on. Kafka's own log lines say "failed
 * authentication" deep in a stack trace, and a client that is refused looks, from the outside, exactly like one that
 * cannot reach the broker: say which it is, and which settings to look at.
 */
public final class KafkaRefusal {

    private KafkaRefusal() {
    }

    /** The explanation if {@code failure} (or one of its causes) is Kafka refusing Ferry's credentials. */
    public static Optional<String> explain(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SslAuthenticationException) {
                return Optional.of("Kafka refused Ferry's credentials: the SSL handshake failed (" + rootMessage(t)
                        + "). With mutual TLS the broker needs a client certificate signed by a CA it trusts: set "
                        + "kafka.ssl.keystore.location (KAFKA_SSL_KEYSTORE_LOCATION, the KafkaUser's user.p12) with "
                        + "kafka.ssl.keystore.type=PKCS12 and kafka.ssl.keystore.password (user.password), or the "
                        + "PEM text in kafka.ssl.keystore.certificate.chain and kafka.ssl.keystore.key with "
                        + "kafka.ssl.keystore.type=PEM; Ferry must trust the broker's CA in "
                        + "kafka.ssl.truststore.location (a PEM file, KAFKA_SSL_TRUSTSTORE_LOCATION) or "
                        + "kafka.ssl.truststore.certificates (KAFKA_SSL_TRUSTSTORE_CERTIFICATES).");
            }
            if (t instanceof SaslAuthenticationException) {
                return Optional.of("Kafka refused Ferry's credentials: SASL authentication failed (" + rootMessage(t)
                        + "). Check kafka.sasl.mechanism (KAFKA_SASL_MECHANISM) and the user name and password in "
                        + "kafka.sasl.jaas.config (KAFKA_SASL_JAAS_CONFIG, the sasl.jaas.config key of the "
                        + "KafkaUser's Secret).");
            }
            if (t instanceof AuthenticationException) {
                return Optional.of("Kafka refused Ferry's credentials: " + rootMessage(t)
                        + ". Check kafka.security.protocol and the kafka.ssl.* / kafka.sasl.* settings.");
            }
        }
        return Optional.empty();
    }

    /**
     * For work that retries against Kafka in the background: logs a refusal once when it starts (and when its reason
     * changes) and once when it ends, instead of a line per retry. Readiness goes down by Kafka's own health check.
     */
    public static final class Reporter {

        private final Logger log;
        private final String what;
        private volatile String current;

        public Reporter(Logger log, String what) {
            this.log = log;
            this.what = what;
        }

        /** True if {@code failure} was a refusal (and is reported); otherwise the caller reports it. */
        public boolean failed(Throwable failure) {
            Optional<String> explained = explain(failure);
            if (explained.isEmpty()) {
                return false;
            }
            if (!explained.get().equals(current)) {
                current = explained.get();
                log.errorf("%s %s waits and retries.", current, what);
            }
            return true;
        }

        public void succeeded() {
            if (current != null) {
                current = null;
                log.infof("Kafka accepts Ferry's credentials again; %s goes on.", what);
            }
        }
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String own = t.getMessage();
        String deepest = root.getMessage();
        if (root == t || deepest == null || deepest.equals(own)) {
            return own;
        }
        return own + ": " + deepest;
    }
}
