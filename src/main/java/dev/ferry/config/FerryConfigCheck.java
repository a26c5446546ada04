package dev.ferry.config;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.eclipse.microprofile.config.ConfigProvider;

import io.quarkus.runtime.configuration.MemorySize;

import dev.ferry.chunk.WireFormat;

/**
 * The rules that Bean Validation on {@link FerryConfig} cannot express: keys required by one role only, sizes within
 * bounds, folders that must not overlap. All problems are reported at once, each naming its key, its environment
 * variable and what is allowed, so an operator fixes a manifest in one round.
 */
public final class FerryConfigCheck {

    static final long MIN_CHUNK = WireFormat.MIN_CHUNK_BYTES;
    static final long MAX_CHUNK = WireFormat.MAX_CHUNK_BYTES;

    private FerryConfigCheck() {
    }

    /**
     * @throws InvalidConfigException
     *             listing every problem
     */
    public static void check(FerryConfig config) {
        List<String> problems = new ArrayList<>();
        if (config.role().isEmpty()) {
            problems.add(
                    key("ferry.role") + " is not set: start with QUARKUS_PROFILE=producer or QUARKUS_PROFILE=consumer "
                            + "(or dev for both)");
        }
        Optional<FerryConfig.Role> role = config.role();
        boolean produces = role.map(FerryConfig.Role::produces).orElse(false);
        boolean consumes = role.map(FerryConfig.Role::consumes).orElse(false);

        require(problems, config.stateDir(), "ferry.state-dir", "it holds the durable state of both roles");
        notBlank(problems, config.topics().deadLetterTopic(), "ferry.dead-letter-topic");
        notBlank(problems, config.consumer().groupId(), "ferry.group-id");
        notBlank(problems, config.instanceId(), "ferry.instance-id");
        long chunk = config.topics().chunkSize().asLongValue();
        if (chunk < MIN_CHUNK || chunk > MAX_CHUNK) {
            problems.add(key("ferry.chunk-size") + " is " + chunk + " bytes; allowed: 1K to 16M");
        }
        if (config.maxFileSize().asLongValue() < 1) {
            problems.add(key("ferry.max-file-size") + " is " + config.maxFileSize().asLongValue()
                    + " bytes; allowed: at least 1 byte, e.g. 1T");
        }
        FerryConfig.Trust trust = config.trust();
        if (trust.requireSignatures().orElse(false) && trust.trustedKeys().isEmpty() && trust.signingKey().isEmpty()) {
            problems.add(key("ferry.require-signatures") + " is true but " + key("ferry.trusted-keys")
                    + " is not set: nothing could be verified; allowed: set the trusted keys, or false");
        }
        boolean routed = config.routesFile().isPresent();
        if (routed) {
            for (var flat : List.of(Map.entry("ferry.inbox", config.producer().inbox()),
                    Map.entry("ferry.outbox", config.consumer().outbox()))) {
                if (flat.getValue().isPresent()) {
                    problems.add(key(flat.getKey()) + " is set together with " + key("ferry.routes-file")
                            + ": with a routes file every inbox and outbox is a route's; remove " + flat.getKey());
                }
            }
            Path file = config.routesFile().get();
            if (!Files.isRegularFile(file)) {
                problems.add(key("ferry.routes-file") + " is " + file + ", which is not a readable file");
            }
            config.topics().topicPattern().ifPresent(p -> {
                try {
                    Pattern.compile(p);
                } catch (PatternSyntaxException e) {
                    problems.add(key("ferry.topic-pattern") + " is '" + p + "', not a regular expression: "
                            + e.getDescription());
                }
            });
        }
        if (produces) {
            if (!routed) {
                require(problems, config.producer().inbox(), "ferry.inbox", "the producer sends the files in it");
            }
            if (config.producer().sourcePolicy() == FerryConfig.SourcePolicy.MOVE) {
                require(problems, config.producer().archive(), "ferry.archive", "ferry.source-policy is move");
            }
            if (config.producer().sendBuffer().asLongValue() < 2 * chunk) {
                problems.add(key("ferry.send-buffer") + " is " + config.producer().sendBuffer().asLongValue()
                        + " bytes; it must hold at least two chunks (" + 2 * chunk + " bytes)");
            }
            config.producer().rateLimit().map(MemorySize::asLongValue).filter(r -> r < 1024).ifPresent(r -> problems
                    .add(key("ferry.rate-limit") + " is " + r + " bytes per second; allowed: at least 1K"));
            var topics = config.topics();
            if (topics.replicationFactor().isPresent() && topics.minInsyncReplicas().isPresent()
                    && topics.replicationFactor().get() < topics.minInsyncReplicas().get()) {
                problems.add(key("ferry.min-insync-replicas") + " is " + topics.minInsyncReplicas().get()
                        + ", above ferry.replication-factor " + topics.replicationFactor().get()
                        + ": no write could succeed");
            }
            if (config.producer().settleTime().isNegative() || config.producer().rescanInterval().toMillis() < 100) {
                problems.add(
                        key("ferry.settle-time") + " must be >= 0 and " + key("ferry.rescan-interval") + " >= 100ms");
            }
            for (String glob : concat(config.producer().include(), config.producer().exclude())) {
                try {
                    FileSystems.getDefault().getPathMatcher("glob:" + glob);
                } catch (RuntimeException e) {
                    problems.add("glob '" + glob + "' in ferry.include/ferry.exclude is invalid: " + e.getMessage());
                }
            }
        }
        if (consumes) {
            if (!routed) {
                require(problems, config.consumer().outbox(), "ferry.outbox", "the consumer delivers files into it");
            }
            require(problems, config.consumer().groupId(), "ferry.group-id",
                    "the consumer group must be chosen explicitly, or two sites could split one topic's files");
            if (config.consumer().incompleteTtl().toSeconds() < 60) {
                problems.add(key("ferry.incomplete-ttl") + " is " + config.consumer().incompleteTtl()
                        + "; allowed: at least 1m (a shorter one would discard transfers that are merely slow)");
            }
            if (config.consumer().quarantineRetention().toMinutes() < 1) {
                problems.add(key("ferry.quarantine-retention") + " is " + config.consumer().quarantineRetention()
                        + "; allowed: at least 1m");
            }
            if (config.consumer().syncInterval().toMillis() < 10) {
                problems.add(key("ferry.sync-interval") + " is " + config.consumer().syncInterval()
                        + "; allowed: at least 10ms");
            }
        }
        if (!config.progressInterval().isZero() && config.progressInterval().toMillis() < 1000) {
            problems.add(key("ferry.progress-interval") + " is " + config.progressInterval().toMillis() + "ms"
                    + "; allowed: 0 (no progress lines) or at least 1s");
        }
        if (produces && consumes && config.producer().inbox().isPresent() && config.consumer().outbox().isPresent()) {
            Path in = config.producer().inbox().get().toAbsolutePath().normalize();
            Path out = config.consumer().outbox().get().toAbsolutePath().normalize();
            if (in.startsWith(out) || out.startsWith(in)) {
                problems.add(key("ferry.inbox") + " (" + in + ") and " + key("ferry.outbox") + " (" + out
                        + ") overlap: delivered files would be sent again");
            }
        }
        if (config.http().authRequired() && config.http().usersFile().isEmpty() && !tokensConfigured()
                && !singleSignOn()) {
            problems.add(key("ferry.http.auth") + " is required but nobody could log in: set "
                    + key("ferry.http.users-file") + " (browser logins with a password), "
                    + key("quarkus.oidc.tenant-enabled") + "=true with your identity provider (browser logins "
                    + "through it) and/or " + key("mp.jwt.verify.publickey.location")
                    + " (bearer tokens of your identity provider: its JWKS URL or a public key file); allowed "
                    + "otherwise: ferry.http.auth=off, when a proxy in front authenticates");
        }
        config.http().usersFile().filter(p -> !Files.isRegularFile(p)).ifPresent(
                p -> problems.add(key("ferry.http.users-file") + " is " + p + ", which is not a readable file"));
        config.producer().inbox().filter(p -> Files.exists(p) && !Files.isDirectory(p))
                .ifPresent(p -> problems.add(key("ferry.inbox") + " is " + p + ", which exists and is not a folder"));
        if (!problems.isEmpty()) {
            throw new InvalidConfigException(problems);
        }
    }

    /** Whether bearer tokens can be verified: a key for SmallRye JWT (an identity provider's JWKS, or a PEM). */
    private static boolean tokensConfigured() {
        var mp = ConfigProvider.getConfig();
        return mp.getOptionalValue("mp.jwt.verify.publickey.location", String.class).isPresent()
                || mp.getOptionalValue("mp.jwt.verify.publickey", String.class).isPresent();
    }

    /** Whether people log in through an identity provider (quarkus-oidc's code flow, docs/access.md). */
    private static boolean singleSignOn() {
        return ConfigProvider.getConfig().getOptionalValue("quarkus.oidc.tenant-enabled", Boolean.class).orElse(false);
    }

    /** {@code ferry.chunk-size (FERRY_CHUNK_SIZE)}. */
    public static String key(String key) {
        return key + " (" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_') + ")";
    }

    private static void require(List<String> problems, Optional<?> value, String key, String why) {
        if (value.isEmpty()) {
            problems.add(key(key) + " is required: " + why);
        }
    }

    private static void notBlank(List<String> problems, Optional<String> value, String key) {
        if (value.isPresent() && value.get().isBlank()) {
            problems.add(key(key) + " is blank; leave it unset or give a name");
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    public static final class InvalidConfigException extends StartupFailure {
        public InvalidConfigException(List<String> problems) {
            super("Ferry cannot start, its configuration is invalid:\n  - " + String.join("\n  - ", problems));
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
