package dev.ferry.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import dev.ferry.config.FerryConfig;
import dev.ferry.kafka.TopicProvisioner;
import dev.ferry.receipt.Receipts;
import dev.ferry.route.Route;
import dev.ferry.route.RouteReconciler;
import dev.ferry.transfer.Side;
import dev.ferry.transfer.TransferBoard;
import dev.ferry.transfer.TransferState;
import dev.ferry.trust.KeyRing;

/**
 * The consumer's routes: one {@link Assembler} per route, delivering the route's topic into its outbox. Kept in line
 * with the routes by a {@link RouteReconciler}. A removed or changed route's assembler is retired, not closed: what it
 * holds stays staged and unacknowledged (safe), it still delivers what it completes, and it is taken up again if the
 * route comes back unchanged. A newly routed topic whose records were kept out meanwhile is read again from its
 * committed offsets.
 */
final class RouteAssemblers implements RouteReconciler.Role<RouteAssemblers.RouteAssembler> {

    private static final Logger LOG = Logger.getLogger(RouteAssemblers.class);

    private final FerryConfig config;
    private final TopicProvisioner topics;
    private final KeyRing keys;
    private final TransferBoard board;
    private final Receipts receipts;
    private final FailureReceipts failures;
    private final Duration batchWindow;
    /** Seeks a newly routed topic's partitions back to their committed offsets. */
    private final Consumer<String> readAgain;
    /** The assembler of each routed topic, for the records that arrive. */
    private final Map<String, RouteAssembler> active = new ConcurrentHashMap<>();
    /**
     * Assemblers of routes that were removed or changed: kept open, never fed new records (UnroutedRecords filters
     * their topic), still delivering what they completed; reused if the same route comes back.
     */
    private final Map<String, RouteAssembler> retired = new ConcurrentHashMap<>();
    private final Set<TopicPartition> assigned = ConcurrentHashMap.newKeySet();

    /** One route's assembler and where it delivers. */
    record RouteAssembler(Route route, String key, Assembler assembler) {
    }

    RouteAssemblers(FerryConfig config, TopicProvisioner topics, KeyRing keys, TransferBoard board, Receipts receipts,
            FailureReceipts failures, Duration batchWindow, Consumer<String> readAgain) {
        this.config = config;
        this.topics = topics;
        this.keys = keys;
        this.board = board;
        this.receipts = receipts;
        this.failures = failures;
        this.batchWindow = batchWindow;
        this.readAgain = readAgain;
    }

    @Override
    public Route route(RouteAssembler running) {
        return running.route();
    }

    @Override
    public boolean unchanged(Route have, Route want) {
        return want.sameForConsumer(have);
    }

    @Override
    public RouteAssembler start(Route r) throws IOException, InterruptedException {
        // The route's key opens its sealed records and seals its receipts; a key file that cannot be read keeps the
        // route from starting (retried), naming the file.
        keys.routeKey(r.topic(), r.encryptionKey(), true);
        String key = r.name() + "|" + r.outbox().orElseThrow();
        RouteAssembler a = retired.get(key);
        if (a == null) {
            a = new RouteAssembler(r, key, open(r));
            a.assembler().assign(assigned);
            retired.put(key, a); // until its topic is ready, so a failed start loses nothing it holds
        }
        if (!r.isDefault() || config.routesFile().isPresent()) {
            topics.ensureRouteTopic(r.topic(), r.chunkSize());
        }
        retired.remove(key);
        active.put(r.topic(), a);
        LOG.infof("Route %s: topic %s -> %s, %d transfers resumed", r.name(), r.topic(), r.outbox().orElseThrow(),
                a.assembler().inProgress());
        return a;
    }

    @Override
    public void stop(RouteAssembler a, String why) {
        active.remove(a.route().topic());
        retired.put(a.key(), a);
        LOG.infof(
                "Route %s (topic %s -> %s) %s: no new records are taken; %d files in progress stay staged "
                        + "and unacknowledged until it returns",
                a.route().name(), a.route().topic(), a.route().outbox().orElseThrow(), why, a.assembler().inProgress());
    }

    @Override
    public void reconciled(List<RouteAssembler> started) {
        if (config.routesFile().isPresent()) {
            UnroutedRecords.route(active.keySet());
            started.forEach(a -> readAgain.accept(a.route().topic()));
        }
    }

    /** Every assembler, routed or retired. */
    List<Assembler> all() {
        List<Assembler> all = new ArrayList<>();
        active.values().forEach(a -> all.add(a.assembler()));
        retired.values().forEach(a -> all.add(a.assembler()));
        return all;
    }

    /** The assembler for a record of {@code topic}: its route's, or a retired one's for a record already on its way. */
    Optional<Assembler> forTopic(String topic) {
        RouteAssembler a = active.get(topic);
        if (a == null) {
            a = retired.values().stream().filter(r -> r.route().topic().equals(topic)).findFirst().orElse(null);
        }
        return Optional.ofNullable(a).map(RouteAssembler::assembler);
    }

    void assign(Collection<TopicPartition> partitions) {
        assigned.addAll(partitions);
        all().forEach(a -> a.assign(partitions));
    }

    void revoke(Collection<TopicPartition> partitions) {
        assigned.removeAll(partitions);
        all().forEach(a -> a.revoke(partitions));
    }

    private Assembler open(Route r) throws IOException {
        Path outbox = r.outbox().orElseThrow().toAbsolutePath().normalize();
        Path ferryDir = outbox.resolve(OutboxPaths.FERRY_DIR);
        Files.createDirectories(outbox);
        String instance = config.instance();
        Path stateDir = config.requiredStateDir();
        // The default route keeps the places it always had, so existing state carries over. Other routes get their
        // own staging and journal, keyed by route and outbox, so a retired and a new assembler never share one.
        Path staging = r.isDefault() ? ferryDir.resolve("staging").resolve(instance)
                : ferryDir.resolve("staging-" + r.name()).resolve(instance);
        Path journal = r.isDefault() ? stateDir.resolve("assemblies")
                : stateDir.resolve("routes").resolve(r.name() + "-" + shortHash(outbox.toString()))
                        .resolve("assemblies");
        Assembler.Limits limits = new Assembler.Limits(config.maxFileSize().asLongValue(),
                config.consumer().maxUnfinishedTransfers(), Assembler.Limits.MAX_OPEN_FILES,
                config.consumer().quarantineRetention(), Assembler.Limits.EVICT_IDLE);
        Assembler assembler = new Assembler(staging, ferryDir.resolve("quarantine"), new Journal(journal),
                new Deliverer(outbox, config.consumer().onConflict()), receipts, instance,
                config.consumer().syncInterval().toNanos(), batchWindow.toNanos(), limits, failures);
        assembler.events(new BoardEvents(board, r.name()));
        return assembler;
    }

    private static String shortHash(String s) {
        return Integer.toHexString(s.hashCode());
    }

    /** Reports a route's assemblies to the {@link TransferBoard}. */
    private record BoardEvents(TransferBoard board, String route) implements AssemblyEvents {

        @Override
        public void started(Assembly a) {
            board.started(Side.CONSUMER, a.transferId, route, a.path, a.size, a.count, a.source.partition());
        }

        @Override
        public void staged(Assembly a) {
            int chunks = a.chunksReceived();
            board.progress(Side.CONSUMER, a.transferId, chunks,
                    a.count == 0 ? 0 : Math.min(a.size, a.size * chunks / a.count));
        }

        @Override
        public void finished(Assembly a, TransferState end, String sha256, String reason, String note) {
            board.finished(Side.CONSUMER, a.transferId, end, sha256, reason, note);
        }

        @Override
        public void dropped(Assembly a) {
            board.paused(Side.CONSUMER, a.transferId);
        }
    }
}
