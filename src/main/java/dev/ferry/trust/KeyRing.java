package dev.ferry.trust;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;

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

    @Inject
    FerryConfig config;

    private volatile Optional<SigningKey> signingKey = Optional.empty();
    private volatile TrustedKeys trusted = TrustedKeys.NONE;
    private volatile boolean required;

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
        if (!problems.isEmpty()) {
            throw new FerryConfigCheck.InvalidConfigException(problems);
        }
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
