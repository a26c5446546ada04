package dev.ferry.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithParentName;

import dev.ferry.chunk.ChunkCompression;

/**
 * Every Ferry setting, in one place. Each key is also an environment variable: upper case, dots and dashes as
 * underscores ({@code ferry.chunk-size} is {@code FERRY_CHUNK_SIZE}). Single keys are checked by Bean Validation; rules
 * that depend on the role are checked by {@link FerryConfigCheck} at start-up. docs/configuration.md has the table.
 * <p>
 * In code the keys are grouped by who uses them ({@link #topics()}, {@link #producer()}, {@link #consumer()},
 * {@link #streams()}); the first three are flat in the key space ({@code ferry.inbox}, not
 * {@code ferry.producer.inbox}), so environment variables and existing files keep working. Values computed from several
 * keys (the default topic names, the instance id) are default methods here, computed the same way by every caller.
 * <p>
 * Kafka client settings are not here: they stay under the standard {@code kafka.*} and {@code mp.messaging.*} keys, and
 * only the values derived from these settings (group id, record size limits) are filled in by
 * {@code dev.ferry.kafka.ChannelSettings}.
 */
@ConfigMapping(prefix = "ferry")
public interface FerryConfig {

    /**
     * Which side of the transfer this process runs. Set by the profile ({@code QUARKUS_PROFILE=producer},
     * {@code consumer}; {@code dev} runs both), not usually by hand. No default: a process without a role refuses to
     * start rather than guess.
     */
    Optional<Role> role();

    /**
     * Durable state: the consumer's assembly journal and delivery log, the producer's ledger of sent files. Must
     * survive restarts (a persistent volume in Kubernetes). Required.
     */
    Optional<Path> stateDir();

    /**
     * A YAML file of routes (name, inbox, outbox, topic, globs, chunk size, source policy each; see
     * {@code dev.ferry.route.RoutesFile}), usually mounted from a ConfigMap. Re-read when it changes: new routes start,
     * removed ones stop, an invalid edit is rejected and the last good routes keep running. When set, ferry.inbox and
     * ferry.outbox are not used; the flat keys below are the routes' defaults.
     */
    Optional<Path> routesFile();

    /**
     * Stable name of this consumer instance, used as Kafka's {@code group.instance.id} (static membership keeps
     * partitions where their staged data is) and to separate the staging areas of instances sharing an outbox. Defaults
     * to the host name, which is the pod name in a StatefulSet.
     */
    Optional<String> instanceId();

    /** How long start-up waits for the Kafka cluster before failing with a clear message. */
    @WithDefault("60s")
    Duration kafkaStartupTimeout();

    /**
     * Free space required in the state dir and the outboxes: readiness goes down below it (and up again above it),
     * before a full disk stops writes.
     */
    @WithDefault("256M")
    MemorySize minFreeDisk();

    /**
     * Finished transfers kept in the history (API, dashboard), in the state dir; the oldest are dropped beyond this.
     */
    @WithDefault("1000")
    @Min(value = 10, message = "(FERRY_HISTORY_SIZE) is ${validatedValue}; allowed: at least 10")
    int historySize();

    /**
     * How often a transfer still moving is reported in the log (percent, bytes, rate, time left); transfers shorter
     * than this get no progress line. {@code 0} turns progress lines off.
     */
    @WithDefault("30s")
    Duration progressInterval();

    /**
     * The largest file either role handles. The producer refuses to send a bigger one (failed, with the reason); the
     * consumer refuses a transfer that claims more, before it touches its disk (dead letter, failed receipt). Defaults
     * to 1T.
     */
    @WithDefault("1T")
    MemorySize maxFileSize();

    /**
     * Where this instance keeps its durable state ({@code ferry.state-dir}); checked at start-up, so only a
     * misconfigured test sees the exception.
     */
    default Path requiredStateDir() {
        return stateDir().orElseThrow(() -> new IllegalStateException("ferry.state-dir is not set"));
    }

    /** This process's role ({@code ferry.role}); checked at start-up. */
    default Role requiredRole() {
        return role().orElseThrow(() -> new IllegalStateException("ferry.role is not set"));
    }

    /** {@code ferry.instance-id}, or the host name (the pod name in a StatefulSet). */
    default String instance() {
        return instanceId().orElseGet(FerryConfig::hostName);
    }

    /** The topics: names, how they are created, the size of their records. */
    @WithParentName
    Topics topics();

    /** The producer role: what it watches, when a file is finished, how it is sent. */
    @WithParentName
    Producer producer();

    /** The consumer role: where files are delivered, how partial files are kept. */
    @WithParentName
    Consumer consumer();

    /** Who is trusted: this instance's signing key, the keys it trusts, whether signatures are required. */
    @WithParentName
    Trust trust();

    /** Live video: frames of videos (or image folders) through Kafka to browsers. */
    Streams streams();

    /** Who may use the HTTP port: logins, tokens (docs/access.md). */
    Http http();

    interface Http {

        /**
         * {@code required}: every endpoint but the probes needs a browser login or a bearer token (the default in the
         * producer and consumer profiles); {@code off}: open to anyone who reaches the port (dev mode, tests, or behind
         * a proxy that authenticates).
         */
        @WithDefault("required")
        Auth auth();

        /**
         * People who log in from a browser: lines {@code name:bcrypt-hash:roles} (a mounted Secret). Unset: browser
         * logins only through an identity provider's tokens.
         */
        Optional<Path> usersFile();

        default boolean authRequired() {
            return auth() == Auth.REQUIRED;
        }

        enum Auth {
            REQUIRED, OFF
        }
    }

    /**
     * Signatures (docs/security.md, "Signed transfers"). Keys are Ed25519 PEM files as {@code openssl} writes them,
     * usually mounted from Secrets. Keys keep the {@code ferry.} prefix (no group name in them).
     */
    interface Trust {

        /**
         * This instance's private key: the producer signs every record with it, the consumer every receipt. Unset:
         * nothing is signed.
         */
        Optional<Path> signingKey();

        /**
         * Public keys this instance trusts, files or folders of them (every file in a folder): the producers' keys,
         * whose records a consumer accepts, and the consumers' keys, whose receipts both roles accept. A process that
         * also has a signing key trusts its own. Several keys at once let keys rotate without stopping.
         */
        Optional<List<Path>> trustedKeys();

        /**
         * Refuse what is not signed by a trusted key: unsigned or wrongly signed records are dead-lettered, such
         * receipts ignored. Defaults to on whenever trusted keys are set, off otherwise.
         */
        Optional<Boolean> requireSignatures();

        /**
         * End-to-end encryption: the AES-256 key (base64 in a file, {@code openssl rand -base64 32}) this producer
         * seals every record with; a consumer with it opens such records. Unset: records are not sealed.
         */
        Optional<Path> encryptionKey();

        /** Keys a consumer opens sealed records with (files or folders of them), besides its encryption key. */
        Optional<List<Path>> decryptionKeys();

        /** Whether signatures are required: {@link #requireSignatures()}, or whether trusted keys are set. */
        default boolean signaturesRequired() {
            return requireSignatures().orElse(trustedKeys().isPresent());
        }
    }

    interface Streams {

        /**
         * Producer: the folder watched for videos (and folders of JPEG/PNG images); each is streamed once, as a stream
         * named after its file name without extension. Unset: no streaming.
         */
        Optional<Path> inbox();

        /** The topic frames go through, keyed by stream name (so one stream is one partition, in order). */
        @WithDefault("ferry-frames")
        @NotBlank(message = "(FERRY_STREAMS_TOPIC) is blank; allowed: a topic name")
        String topic();

        /** Partitions of a created frames topic: how many streams can be read in parallel. */
        @WithDefault("3")
        @Min(value = 1, message = "(FERRY_STREAMS_PARTITIONS) is ${validatedValue}; allowed: at least 1")
        int partitions();

        /** How long a created frames topic keeps frames: how far back a viewer can replay. */
        @WithDefault("7d")
        Duration retention();

        /** JPEG quality of the frames sent, from 0.1 (small) to 1.0 (best). */
        @WithDefault("0.8")
        @DecimalMin(value = "0.1", message = "(FERRY_STREAMS_JPEG_QUALITY) is ${validatedValue}; allowed: 0.1 to 1.0")
        @DecimalMax(value = "1.0", message = "(FERRY_STREAMS_JPEG_QUALITY) is ${validatedValue}; allowed: 0.1 to 1.0")
        double jpegQuality();

        /** Frames wider than this are scaled down to it (aspect kept) before encoding. Unset: sent at source size. */
        Optional<@Min(value = 16, message = "(FERRY_STREAMS_MAX_WIDTH) is ${validatedValue}; allowed: at least 16") Integer> maxWidth();

        /**
         * {@code source}: frames are sent at the video's frame rate (live); {@code fast}: as fast as Kafka takes them.
         */
        @WithDefault("source")
        Pace pace();

        /** The frame rate of a folder of images (a video has its own). */
        @WithDefault("25")
        @Min(value = 1, message = "(FERRY_STREAMS_IMAGE_FRAME_RATE) is ${validatedValue}; allowed: 1 to 240")
        @Max(value = 240, message = "(FERRY_STREAMS_IMAGE_FRAME_RATE) is ${validatedValue}; allowed: 1 to 240")
        int imageFrameRate();

        /**
         * Where FFmpeg's native libraries are unpacked (about 70 MB) at the first video. Must be writable: a volume in
         * a read-only, non-root pod. Defaults to {@code native} in the state dir.
         */
        Optional<Path> nativeCache();

        /** Viewers of all streams at once, each a thread and a Kafka consumer; more get 503. */
        @WithDefault("32")
        @Min(value = 1, message = "(FERRY_STREAMS_MAX_VIEWERS) is ${validatedValue}; allowed: 1 to 1000")
        @Max(value = 1000, message = "(FERRY_STREAMS_MAX_VIEWERS) is ${validatedValue}; allowed: 1 to 1000")
        int maxViewers();

        /**
         * Viewers one user (or, with access off, one client address) may have at once; more get 429. Keeps one user
         * from taking every viewer.
         */
        @WithDefault("4")
        @Min(value = 1, message = "(FERRY_STREAMS_MAX_VIEWERS_PER_USER) is ${validatedValue}; allowed: at least 1")
        int maxViewersPerUser();

        /** A viewer whose client takes no frame for this long is disconnected and its place freed. */
        @WithDefault("30s")
        Duration idleTimeout();

        /** Viewer positions kept (for reloads), least recently used dropped first. */
        @WithDefault("10000")
        @Min(value = 0, message = "(FERRY_STREAMS_VIEWER_POSITIONS) is ${validatedValue}; allowed: 0 to 1000000")
        @Max(value = 1000000, message = "(FERRY_STREAMS_VIEWER_POSITIONS) is ${validatedValue}; allowed: 0 to 1000000")
        int viewerPositions();
    }

    /**
     * The topics: names, how they are created, the size of their records. Keys keep the {@code ferry.} prefix (no group
     * name in them).
     */
    interface Topics {

        /**
         * Consumer with a routes file: the regular expression of topics it subscribes to, fixed at start-up; every
         * route's topic must match it. Defaults to ferry.topic and ferry.topic + "." + anything ({@code ferry-chunks},
         * {@code ferry-chunks.reports}).
         */
        Optional<String> topicPattern();

        /** Topic the chunks go through. Defaults to {@code ferry-chunks}. */
        @WithDefault("ferry-chunks")
        @NotBlank(message = "(FERRY_TOPIC) is blank; allowed: a topic name")
        String topic();

        /**
         * Where records that are not valid Ferry chunks go, with the reason in a header. Defaults to topic + "-dlq".
         */
        Optional<String> deadLetterTopic();

        /**
         * Compacted topic where the consumer side records what it did with each transfer (delivered, quarantined,
         * failed); the producer waits for it before applying its source policy. Defaults to topic + "-receipts".
         */
        Optional<String> receiptsTopic();

        /**
         * Size of one chunk, i.e. of the value of one Kafka record. Between 1K and 16M. Defaults to 512K, the fastest
         * size in the chunk-size sweep (docs/benchmarks.md). Quarkus sizes are written 512K, 1M, not 512KiB.
         */
        @WithDefault("512K")
        MemorySize chunkSize();

        /**
         * Producer: create the chunk and dead-letter topics if missing. Turn off where topics are managed elsewhere.
         */
        @WithDefault("true")
        boolean createTopics();

        /** Partitions of a created topic. Bounds how many consumers share the work. */
        @WithDefault("6")
        @Min(value = 1, message = "(FERRY_PARTITIONS) is ${validatedValue}; allowed: at least 1")
        int partitions();

        /**
         * Replication factor of a created topic. Unset: the cluster's own {@code default.replication.factor}, as
         * Kafka's own tools do (a single-broker cluster just works; a production cluster's default applies).
         */
        Optional<@Min(value = 1, message = "(FERRY_REPLICATION_FACTOR) is ${validatedValue}; allowed: at least 1") Short> replicationFactor();

        /**
         * {@code min.insync.replicas} of a created topic: with {@code acks=all}, how many copies make a write durable.
         * Unset: 2 for a topic with 3 or more replicas (a write survives losing any one broker), else 1.
         */
        Optional<@Min(value = 1, message = "(FERRY_MIN_INSYNC_REPLICAS) is ${validatedValue}; allowed: at least 1") Integer> minInsyncReplicas();

        /** {@link #chunkSize()} in bytes; checked at start-up to lie between 1K and 16M. */
        default int chunkBytes() {
            return (int) chunkSize().asLongValue();
        }

        /** {@link #deadLetterTopic()}, or the chunk topic's name + {@code -dlq}. */
        default String deadLetterTopicName() {
            return deadLetterTopic().orElse(topic() + "-dlq");
        }

        /** {@link #receiptsTopic()}, or the chunk topic's name + {@code -receipts}. */
        default String receiptsTopicName() {
            return receiptsTopic().orElse(topic() + "-receipts");
        }
    }

    /**
     * The producer role: what it watches, when a file is finished, how it is sent. Keys keep the {@code ferry.} prefix
     * (no group name in them).
     */
    interface Producer {

        /** Producer: the folder whose files are sent, recursively. Required for the producer. */
        Optional<Path> inbox();

        /** Producer: how a file is known to be finished. Defaults to {@code settle}. */
        @WithDefault("settle")
        Completion completion();

        /** Producer, {@code completion=settle}: how long size and modification time must stay unchanged. */
        @WithDefault("2s")
        Duration settleTime();

        /** Producer: full rescan of the inbox, on top of watch events, which some volumes lose. */
        @WithDefault("10s")
        Duration rescanInterval();

        /** Producer: globs matched against the path relative to the inbox; only matching files are sent. */
        @WithDefault("**")
        @NotEmpty(message = "(FERRY_INCLUDE) is empty; allowed: one or more globs, ** for everything")
        List<String> include();

        /**
         * Producer: globs matched against every file and folder name; a match is skipped with everything under it.
         * Defaults to hidden names, {@code *.part} and {@code *.tmp}.
         */
        @WithDefault(".*,*.part,*.tmp")
        List<String> exclude();

        /** Producer: what happens to a source file once every chunk is acknowledged. Defaults to {@code keep}. */
        @WithDefault("keep")
        SourcePolicy sourcePolicy();

        /** Producer, {@code source-policy=move}: where sent files go, keeping their relative paths. */
        Optional<Path> archive();

        /**
         * Producer: per-chunk compression before sending ({@code none}, {@code zstd}, {@code lz4}, {@code auto}); a
         * chunk is sent compressed only when that makes it smaller, and with {@code auto} only when it saves at least a
         * tenth. Kafka's batch compression cannot do this for signed or encrypted data. Defaults to {@code none}.
         */
        @WithDefault("none")
        ChunkCompression compression();

        /** Producer: files read and sent at the same time. */
        @WithDefault("4")
        @Min(value = 1, message = "(FERRY_FILES_IN_FLIGHT) is ${validatedValue}; allowed: 1 to 64")
        @Max(value = 64, message = "(FERRY_FILES_IN_FLIGHT) is ${validatedValue}; allowed: 1 to 64")
        int filesInFlight();

        /**
         * Producer: files of at most one chunk read and sent at the same time per route, besides the larger ones (the
         * threads are made as such files come, not at start). Many at once let Kafka carry them in few requests and the
         * ledger record them with few fsyncs; their bytes count against {@code send-buffer} like every chunk, so memory
         * does not grow with this number.
         */
        @WithDefault("64")
        @Min(value = 1, message = "(FERRY_SMALL_FILES_IN_FLIGHT) is ${validatedValue}; allowed: 1 to 512")
        @Max(value = 512, message = "(FERRY_SMALL_FILES_IN_FLIGHT) is ${validatedValue}; allowed: 1 to 512")
        int smallFilesInFlight();

        /**
         * Producer: chunk bytes sent but not yet acknowledged by the broker, over all files. Bounds the producer's
         * memory; each file gets an equal share, at least two chunks.
         */
        @WithDefault("32M")
        MemorySize sendBuffer();

        /** Producer: upper bound on the bytes per second read and sent. Unlimited by default. */
        Optional<MemorySize> rateLimit();

        /**
         * Producer: how often a file is sent again after the consumer side reported its attempt failed (first chunks
         * gone, abandoned, refused record, consumer full), with a growing pause between attempts. After that the file
         * stays failed with the last reason until it changes. Defaults to 5.
         */
        @WithDefault("5")
        @Min(value = 0, message = "(FERRY_MAX_RESENDS) is ${validatedValue}; allowed: at least 0")
        int maxResends();
    }

    /**
     * The consumer role: where files are delivered, how partial files are kept. Keys keep the {@code ferry.} prefix (no
     * group name in them).
     */
    interface Consumer {

        /** Consumer: the folder files are delivered to. Required for the consumer. */
        Optional<Path> outbox();

        /**
         * Consumer group of the consumer role. Required: defaulting it to the application name would let two sites
         * silently split one topic's files between them.
         */
        Optional<String> groupId();

        /** Consumer: what to do when a delivered path already holds a different file. Defaults to {@code keep-both}. */
        @WithDefault("keep-both")
        ConflictPolicy onConflict();

        /**
         * Consumer: how often staged chunks are synced to disk and recorded in the journal. Longer means fewer fsyncs,
         * more chunks re-read from Kafka after a crash.
         */
        @WithDefault("1s")
        Duration syncInterval();

        /**
         * Consumer: an unfinished transfer that receives nothing for this long is abandoned (its producer died for
         * good): staged data removed, never delivered, its offset released. Defaults to 24h.
         */
        @WithDefault("24h")
        Duration incompleteTtl();

        /**
         * Consumer: transfers that may be unfinished at once (first chunk seen, rest still coming). Each costs a little
         * heap and a staging file; a new multi-chunk transfer beyond the cap is refused with a failed receipt, and its
         * producer sends it again later. Files of one chunk are never refused. Defaults to 1000.
         */
        @WithDefault("1000")
        @Min(value = 1, message = "(FERRY_MAX_UNFINISHED_TRANSFERS) is ${validatedValue}; allowed: at least 1")
        int maxUnfinishedTransfers();

        /**
         * Consumer: how long quarantined files (size or hash mismatch, undeliverable names) are kept in
         * {@code <outbox>/.ferry/quarantine/} for inspection before they are deleted. Defaults to 7d.
         */
        @WithDefault("7d")
        Duration quarantineRetention();

        /**
         * Consumer: threads that stage records, each partition's records on one of them at a time, in order. 0 (the
         * default) means one per core, at most 16. More threads than partitions assigned gain nothing.
         */
        @WithDefault("0")
        @Min(value = 0, message = "(FERRY_CONSUMER_THREADS) is ${validatedValue}; allowed: 0 (one per core) to 64")
        @Max(value = 64, message = "(FERRY_CONSUMER_THREADS) is ${validatedValue}; allowed: 0 (one per core) to 64")
        int consumerThreads();

        /** {@link #consumerThreads()}, with 0 resolved to the cores of this machine. */
        default int resolvedConsumerThreads() {
            int threads = consumerThreads();
            return threads > 0 ? threads : Math.min(16, Runtime.getRuntime().availableProcessors());
        }
    }

    enum Pace {
        SOURCE, FAST
    }

    enum Role {
        PRODUCER, CONSUMER, BOTH;

        public boolean produces() {
            return this != CONSUMER;
        }

        public boolean consumes() {
            return this != PRODUCER;
        }
    }

    enum Completion {
        /** Size and modification time unchanged for {@code settle-time}. */
        SETTLE,
        /** A file {@code NAME.done} next to {@code NAME}; the marker is removed with the source. */
        MARKER
    }

    enum SourcePolicy {
        KEEP, DELETE, MOVE
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

    enum ConflictPolicy {
        /** Deliver as {@code name (2).ext}, next to the existing file. */
        KEEP_BOTH,
        /** Atomically replace the existing file. */
        REPLACE,
        /** Leave the existing file, discard the new one with a log line. */
        SKIP
    }
}
