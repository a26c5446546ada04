package dev.ferry.testing;

import java.nio.file.Path;

import dev.ferry.dev.KafkaNode;

/**
 * Runs one Kafka node in its own JVM, so a fault test can kill it with SIGKILL and start it again on the same data:
 * {@code KafkaNodeMain nodeId port controllerPort voters clusterId dir replicas}.
 */
public final class KafkaNodeMain {

    private KafkaNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        KafkaLogging.quiet();
        var server = KafkaNode.start(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                args[3], args[4], Path.of(args[5]), Integer.parseInt(args[6]));
        System.out.println("KAFKA NODE " + args[0] + " STARTED");
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown));
        server.awaitShutdown();
    }
}
