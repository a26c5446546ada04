package dev.ferry.trust;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import javax.crypto.AEADBadTagException;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

import dev.ferry.chunk.InvalidRecordException;
import dev.ferry.chunk.Sealing;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FerryConfigCheck;
import dev.ferry.config.StartupOrder;

/**
 * The keys of this process, read once at start-up from {@code ferry.signing-key} and {@code ferry.trusted-keys}: a key
 * file that is not a key stops start-up naming its setting, like any other bad setting.
 */
@ApplicationScoped
public class KeyRing {

    private static final Logger LOG = Logger.getLogger(KeyRing.class);
    /** How often the decryption keys are read again while a sealed record waits for its key. */
    private static final long REREAD_NANOS = 5_000_000_000L;

    @Inject
    FerryConfig config;

    private volatile Optional<SigningKey> signingKey = Optional.empty();
    private volatile TrustedKeys trusted = TrustedKeys.NONE;
    private volatile boolean required;
    private volatile Optional<SealingKey> sealingKey = Optional.empty();
    private volatile Map<String, SealingKey> openingKeys = Map.of();
    private volatile long lastReread = System.nanoTime();
    /** Consumer: the key of each route's topic that has one, for its receipts (routes with their own key). */
    private final Map<String, SealingKey> topicKeys = new ConcurrentHashMap<>();
    /** The data key of each attempt this producer seals, so an attempt's records share one (bounded). */
    private final Map<String, AesGcm.DataKey> dataKeys = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, AesGcm.DataKey> eldest) {
            return size() > 1024;
        }
    };

    void load(@Observes @Priority(StartupOrder.KEYS) StartupEvent event) {
        FerryConfig.Trust trust = config.trust();
        List<String> problems = new ArrayList<>();
        Optional<SigningKey> own = Optional.empty();
        if (trust.signingKey().isPresent()) {
            try {
                own = Optional.of(SigningKey.read(trust.signingKey().get()));
            } catch (IOException e) {
                problems.add(FerryConfigCheck.key("ferry.signing-key") + " is " + trust.signingKey().get() + ": "
                        + e.getMessage() + "; allowed: an Ed25519 private key in PEM (openssl genpkey -algorithm "
                        + "ed25519)");
            }
        }
        TrustedKeys keys = TrustedKeys.NONE;
        if (trust.trustedKeys().isPresent()) {
            try {
                keys = TrustedKeys.read(trust.trustedKeys().get());
                if (keys.isEmpty()) {
                    problems.add(FerryConfigCheck.key("ferry.trusted-keys") + " is " + trust.trustedKeys().get()
                            + ": no key in it; allowed: Ed25519 public keys in PEM (openssl pkey -pubout), files or "
                            + "folders of them");
                }
            } catch (IOException e) {
                problems.add(FerryConfigCheck.key("ferry.trusted-keys") + " is " + trust.trustedKeys().get() + ": "
                        + e.getMessage() + "; allowed: Ed25519 public keys in PEM (openssl pkey -pubout), files or "
                        + "folders of them");
            }
        }
        Optional<SealingKey> sealing = Optional.empty();
        List<SealingKey> opening = new ArrayList<>();
        if (trust.encryptionKey().isPresent()) {
            try {
                sealing = Optional.of(SealingKey.read(trust.encryptionKey().get()));
            } catch (IOException e) {
                problems.add(FerryConfigCheck.key("ferry.encryption-key") + " is " + trust.encryptionKey().get() + ": "
                        + e.getMessage() + "; allowed: an AES-256 key in base64 (openssl rand -base64 32)");
            }
        }
        for (Path path : trust.decryptionKeys().orElse(List.of())) {
            try {
                opening.addAll(SealingKey.readAll(path));
            } catch (IOException e) {
                problems.add(FerryConfigCheck.key("ferry.decryption-keys") + " has " + path + ": " + e.getMessage()
                        + "; allowed: AES-256 keys in base64, files or folders of them");
            }
        }
        if (!problems.isEmpty()) {
            throw new FerryConfigCheck.InvalidConfigException(problems);
        }
        useSealing(sealing, opening);
        sealing.ifPresent(k -> LOG.infof("End-to-end encryption: sealing with key %s", k.keyId()));
        if (own.isPresent()) {
            keys = keys.with(own.get().publicKey()); // its own receipts and, running both roles, its own records
        }
        use(own, keys, trust.signaturesRequired());
        if (own.isPresent() || !keys.isEmpty()) {
            LOG.infof("Signatures: %s; trusted keys %s; signatures %s",
                    own.map(k -> "signing with key " + k.keyId()).orElse("not signing"), keys.ids(),
                    required ? "required" : "checked where present");
        }
    }

    /**
     * Sets the keys for sealing (end-to-end encryption) directly: the one this producer seals with, and all it opens.
     */
    public void useSealing(Optional<SealingKey> own, Collection<SealingKey> opening) {
        Map<String, SealingKey> byId = new HashMap<>();
        opening.forEach(k -> byId.put(k.keyId(), k));
        own.ifPresent(k -> byId.put(k.keyId(), k));
        this.sealingKey = own;
        this.openingKeys = Map.copyOf(byId);
    }

    /**
     * The key a consumer seals its receipts' path, target and reason with: its encryption key, or else the first key it
     * opens records with; empty: receipts are written in the clear.
     */
    public Optional<SealingKey> receiptKey() {
        return sealingKey.isPresent() ? sealingKey : openingKeys.values().stream().findFirst();
    }

    /**
     * The key receipts of {@code topic} are sealed with: its route's own key, else {@link #receiptKey()}. A producer
     * that seals a route's records with a key holds that key, so it can read what the consumer sealed.
     */
    public Optional<SealingKey> receiptKeyFor(String topic) {
        SealingKey key = topic == null ? null : topicKeys.get(topic);
        return key != null ? Optional.of(key) : receiptKey();
    }

    /**
     * Reads a route's encryption key ({@code encryption-key} in the routes file, {@code ferry.encryption-key} by
     * default). A consumer route also opens records and seals receipts of its topic with it.
     *
     * @throws IOException
     *             naming the file and what is wrong, for the route's start-up error
     */
    public Optional<SealingKey> routeKey(String topic, Optional<Path> file, boolean consumes) throws IOException {
        if (file.isEmpty()) {
            topicKeys.remove(topic);
            return Optional.empty();
        }
        SealingKey key;
        try {
            key = SealingKey.read(file.get());
        } catch (IOException e) {
            throw new IOException("encryption-key " + file.get() + ": " + e.getMessage()
                    + "; allowed: an AES-256 key in base64 (openssl rand -base64 32)", e);
        }
        if (consumes) {
            synchronized (this) {
                Map<String, SealingKey> opening = new HashMap<>(openingKeys);
                opening.put(key.keyId(), key);
                openingKeys = Map.copyOf(opening);
            }
            topicKeys.put(topic, key);
        }
        return Optional.of(key);
    }

    /** A key this process opens sealed records and receipts with, by its id; null if it has none by that id. */
    public SealingKey openingKey(String keyId) {
        return openingKeys.get(keyId);
    }

    /** The key this producer seals with; empty: records go unsealed. */
    public Optional<SealingKey> sealingKey() {
        return sealingKey;
    }

    /** Seals the records of one attempt (the same data key for all of them, while this process sends it). */
    public synchronized Sealing.Sealer sealerFor(String topic, String transferId, int attempt) {
        return sealerFor(sealingKey.orElseThrow(() -> new IllegalStateException("no ferry.encryption-key")), topic,
                transferId, attempt);
    }

    /** Seals the records of one attempt with {@code key} (a route's own key). */
    public Sealing.Sealer sealerFor(SealingKey key, String topic, String transferId, int attempt) {
        return sealerFor(key, topic, transferId, attempt, byte[]::new);
    }

    /**
     * Seals the records of one attempt with {@code key}; sealed chunks go into arrays from {@code buffers} (a pool: see
     * {@link AesGcm#seal(AesGcm.DataKey, int, long, byte[], byte[], IntFunction)}).
     */
    public synchronized Sealing.Sealer sealerFor(SealingKey key, String topic, String transferId, int attempt,
            IntFunction<byte[]> buffers) {
        AesGcm.DataKey dataKey = dataKeys.computeIfAbsent(
                key.keyId() + '\0' + topic + '\0' + transferId + '\0' + attempt,
                k -> AesGcm.newDataKey(key, topic, transferId, attempt));
        return new Sealing.Sealer() {
            @Override
            public Sealing.Envelope envelope() {
                return new Sealing.Envelope(dataKey.sealingKeyId(), dataKey.wrapped());
            }

            @Override
            public byte[] seal(int purpose, long counter, byte[] aad, byte[] plaintext) {
                return AesGcm.seal(dataKey, purpose, counter, aad, plaintext,
                        purpose == Sealing.CHUNK ? buffers : byte[]::new);
            }
        };
    }

    /** A sealed record names a key this instance does not have (not mounted yet, say): hold it, do not refuse it. */
    public static final class MissingKeyException extends Exception {
        public MissingKeyException(String message) {
            super(message);
        }
    }

    /**
     * Opens the sealed parts of one record of {@code topic}.
     *
     * @throws MissingKeyException
     *             its key is not here
     * @throws InvalidRecordException
     *             its data key does not open with the key it names: forged, altered or moved
     */
    public Sealing.Opener openerFor(String topic, WireFormat.Signed signed)
            throws MissingKeyException, InvalidRecordException {
        Sealing.Envelope envelope = signed.sealed().envelope();
        SealingKey key = openingKeys.get(envelope.sealingKeyId());
        if (key == null && rereadDecryptionKeys()) {
            key = openingKeys.get(envelope.sealingKeyId());
        }
        if (key == null) {
            throw new MissingKeyException("a record is sealed with key " + envelope.sealingKeyId()
                    + ", which is not among ferry.decryption-keys");
        }
        AesGcm.DataKey dataKey;
        try {
            dataKey = AesGcm.unwrap(key, envelope.wrappedKey(), topic, signed.record().transferId(),
                    signed.record().attempt());
        } catch (AEADBadTagException e) {
            throw new InvalidRecordException("its data key does not open with key " + key.keyId()
                    + ": forged, altered or moved from another transfer");
        }
        return (purpose, counter, aad, sealed) -> {
            try {
                return AesGcm.open(dataKey, purpose, counter, aad, sealed);
            } catch (AEADBadTagException e) {
                throw new InvalidRecordException("a sealed part does not open: forged, altered or moved");
            }
        };
    }

    /**
     * Reads {@code ferry.decryption-keys} again, at most every {@link #REREAD_NANOS}: a key mounted after start-up (a
     * Secret updated in place) is taken without a restart. Keys are only added here; one removed from the files stays
     * usable until the process restarts.
     *
     * @return whether the files were read
     */
    private boolean rereadDecryptionKeys() {
        long now = System.nanoTime();
        if (config == null || now - lastReread < REREAD_NANOS) {
            return false;
        }
        lastReread = now;
        List<SealingKey> found = new ArrayList<>();
        for (Path path : config.trust().decryptionKeys().orElse(List.of())) {
            try {
                found.addAll(SealingKey.readAll(path));
            } catch (IOException e) {
                LOG.warnf("ferry.decryption-keys: %s cannot be read again: %s", path, e.getMessage());
            }
        }
        synchronized (this) {
            Map<String, SealingKey> opening = new HashMap<>(openingKeys);
            found.stream().filter(k -> !opening.containsKey(k.keyId())).forEach(k -> {
                LOG.infof("Decryption key %s is new in ferry.decryption-keys: records sealed with it are opened now",
                        k.keyId());
                opening.put(k.keyId(), k);
            });
            openingKeys = Map.copyOf(opening);
        }
        return true;
    }

    /** Sets the keys directly (tests that run without Quarkus, and the verify command). */
    public void use(Optional<SigningKey> own, TrustedKeys keys, boolean required) {
        this.signingKey = own;
        this.trusted = keys;
        this.required = required;
    }

    public Optional<SigningKey> signingKey() {
        return signingKey;
    }

    public TrustedKeys trusted() {
        return trusted;
    }

    /**
     * Checks a signature. {@code message} (what was signed) is computed only if there is a signature to check: for a
     * chunk it hashes the chunk.
     */
    public Authenticity check(String keyId, byte[] signature, Supplier<byte[]> message) {
        if (signature == null) {
            return required ? Authenticity.UNSIGNED : Authenticity.UNCHECKED;
        }
        if (!trusted.knows(keyId)) {
            return required ? Authenticity.UNKNOWN_KEY : Authenticity.UNCHECKED;
        }
        return trusted.verify(keyId, message.get(), signature) == TrustedKeys.Verdict.VALID ? Authenticity.AUTHENTIC
                : Authenticity.BAD_SIGNATURE;
    }

    /** Unsigned or wrongly signed records and receipts are refused (not just those whose signature fails). */
    public boolean signaturesRequired() {
        return required;
    }
}
