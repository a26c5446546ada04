package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.ferry.DaemonThreads;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.StartupOrder;
import dev.ferry.kafka.Channels;
import dev.ferry.kafka.KafkaRefusal;
import dev.ferry.kafka.TopicProvisioner;
import dev.ferry.receipt.KafkaReceipts;
import dev.ferry.receipt.Receipt;
import dev.ferry.route.Route;
import dev.ferry.route.RouteReconciler;
import dev.ferry.route.RouteTable;
import dev.ferry.transfer.TransferBoard;
import dev.ferry.transfer.TransferMetrics;
import dev.ferry.trust.KeyRing;
import dev.ferry.trust.SealingKey;

/**
 * The producer role: runs one {@link ProducerRoute} per route, kept in line with the routes by a
 * {@link RouteReconciler} (new routes start, removed ones stop with their progress recorded, changed ones restart), and
 * looks for the receipts of every route's sent files in the one receipts topic. Starts after the topics are
 * provisioned.
 */
@ApplicationScoped
public class ProducerService {

    private static final Logger LOG = Logger.getLogger(ProducerService.class);

    /** How often the receipts of sent files are looked for. */
    static final long RECEIPT_POLL_MILLIS = 500;

    @Inject
    FerryConfig config;

    @Inject
    ChunkPublisher publisher;

    @Inject
    RouteTable routeTable;

    @Inject
    TopicProvisioner topics;

    @Inject
    TransferBoard board;

    @Inject
    TransferMetrics metrics;

    @Inject
    KeyRing keys;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private final KafkaRefusal.Reporter refusal = new KafkaRefusal.Reporter(LOG, "Looking for receipts");
    private final RouteReconciler<ProducerRoute> routes = new RouteReconciler<>(new WatchedInboxes());
    private KafkaReceipts receipts;
    private ScheduledExecutorService receiptPoller;

    void start(@Observes @Priority(StartupOrder.PRODUCER) StartupEvent event) throws IOException {
        if (!config.requiredRole().produces()) {
            return;
        }
        receipts = new KafkaReceipts(kafkaConfig, config.topics().receiptsTopicName(),
                "ferry-producer-" + config.instance(), false, this::anyRouteWaitsFor, config.kafkaStartupTimeout())
                        .signedWith(keys, metrics::receiptRejected);
        routes.follow(routeTable, "ferry-producer-routes");
        receiptPoller = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("ferry-receipts"));
        receiptPoller.scheduleWithFixedDelay(this::checkReceipts, 0, RECEIPT_POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** A producer route is an inbox watched and sent to the route's topic. */
    private final class WatchedInboxes implements RouteReconciler.Role<ProducerRoute> {

        @Override
        public Route route(ProducerRoute running) {
            return running.route;
        }

        @Override
        public boolean unchanged(Route have, Route want) {
            return want.sameForProducer(have);
        }

        @Override
        public ProducerRoute start(Route r) throws IOException, InterruptedException {
            topics.ensureRouteTopic(r.topic(), r.chunkSize());
            Optional<SealingKey> key = keys.routeKey(r.topic(), r.encryptionKey(), false);
            return new ProducerRoute(r, ledgerDir(r), config,
                    publisher.to(r.topic(), r.chunkSize(), r.compression(), key), ackTimeout(), board, metrics, key);
        }

        @Override
        public void stop(ProducerRoute route, String why) {
            try {
                route.stop();
                LOG.infof("Route %s %s: stopped; files in progress resume when a route with this name watches %s again",
                        route.route.name(), why, route.route.inbox().map(Path::toString).orElse("?"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                LOG.errorf("Route %s: stopping failed: %s", route.route.name(), e.getMessage());
            }
        }
    }

    /** The default route keeps the ledger where it always was, so existing state carries over. */
    private Path ledgerDir(Route r) {
        Path state = config.requiredStateDir();
        return r.isDefault() ? state : state.resolve("routes").resolve(r.name());
    }

    /**
     * Whole receipts are kept for the transfers a route's ledger knows and has not finished; every other transfer's is
     * only in the receipts index (outcome and attempt), so the producer's memory does not grow with other producers'
     * receipts. A receipt read before its transfer reached the ledger (a producer that lost its state dir) is still
     * found through the index.
     */
    private boolean anyRouteWaitsFor(String transferId) {
        return routes.running().stream()
                .anyMatch(r -> r.ledger.find(transferId).isPresent() && !r.ledger.isDone(transferId));
    }

    /** How long Kafka may stay silent with chunks in flight: what the client itself may take, plus a margin. */
    private static Duration ackTimeout() {
        Config mp = ConfigProvider.getConfig();
        String prefix = "mp.messaging.outgoing." + Channels.CHUNKS_OUT + ".";
        long delivery = mp.getOptionalValue(prefix + "delivery.timeout.ms", Long.class).orElse(120_000L);
        long block = mp.getOptionalValue(prefix + "max.block.ms", Long.class).orElse(60_000L);
        return Duration.ofMillis(delivery + block + 10_000);
    }

    /** Acts on the receipts of sent files: the source policy once delivered, a new attempt after a failure. */
    private void checkReceipts() {
        for (ProducerRoute route : routes.running()) {
            try {
                List<Ledger.Entry> waiting = route.ledger.awaitingReceipt();
                if (waiting.isEmpty()) {
                    continue;
                }
                receipts.refresh();
                refusal.succeeded();
                List<String> done = new ArrayList<>();
                List<String> spent = new ArrayList<>();
                try {
                    for (Ledger.Entry e : waiting) {
                        Receipt r = receipts.find(e.transferId()).orElse(null);
                        if (r != null) {
                            route.onReceipt(e, r, done, spent);
                        }
                    }
                } finally {
                    // One fsync for the whole round: a thousand small files must not cost a thousand syncs.
                    route.ledger.done(done);
                    done.forEach(receipts::forget);
                    spent.forEach(receipts::forget);
                }
            } catch (IOException | RuntimeException e) {
                if (!refusal.failed(e)) {
                    LOG.warnf("Looking for receipts failed (retrying): %s", e.toString());
                }
            }
        }
    }

    /**
     * Runs before the messaging channels stop, so that attempts in progress can still record their last
     * acknowledgements; bounded well within a 30 s termination grace period.
     */
    void stop(@Observes @Priority(StartupOrder.STOP_PRODUCER) ShutdownEvent event) throws IOException {
        if (receiptPoller == null) {
            return;
        }
        receiptPoller.shutdown();
        routes.close();
        for (ProducerRoute r : routes.running()) {
            try {
                r.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            receiptPoller.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        receipts.close();
    }
}
