package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Starts a real broker and fresh inbox, outbox and state folders for a Quarkus test class. Register it with
 * {@code @WithTestResource(KafkaBrokerResource.class)}: restricted to the class, unlike a global
 * {@code @QuarkusTestResource}, which would start a broker for every test class.
 */
public class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {

    private KafkaBroker broker;

    @Override
    public Map<String, String> start() {
        broker = KafkaBroker.start();
        try {
            Path root = Files.createTempDirectory("ferry-test");
            return Map.of("kafka.bootstrap.servers", broker.bootstrapServers(), "ferry.inbox",
                    root.resolve("inbox").toString(), "ferry.outbox", root.resolve("outbox").toString(),
                    "ferry.state-dir", root.resolve("state").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (broker != null) {
            broker.close();
        }
    }
}
