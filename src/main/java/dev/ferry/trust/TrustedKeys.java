package dev.ferry.trust;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * The public keys this instance trusts, by key id: the producers' (their records) and the consumers' (their receipts).
 * Several keys at once are how keys rotate: trust the new key everywhere, switch the signer, then drop the old key.
 */
public final class TrustedKeys {

    public static final TrustedKeys NONE = new TrustedKeys(Map.of());

    private final Map<String, byte[]> byId;

    /** How a signature checked out. */
    public enum Verdict {
        VALID,
        /** Signed by a key this instance does not trust (or does not know yet). */
        UNKNOWN_KEY,
        /** The key is trusted, the signature does not match the content: forged or altered. */
        BAD_SIGNATURE
    }

    private TrustedKeys(Map<String, byte[]> byId) {
        this.byId = byId;
    }

    public static TrustedKeys of(Collection<byte[]> publicKeys) {
        Map<String, byte[]> byId = new LinkedHashMap<>();
        for (byte[] key : publicKeys) {
            if (key.length != Ed25519.PUBLIC_KEY_SIZE) {
                throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + key.length);
            }
            byId.put(Ed25519Keys.keyId(key), key.clone());
        }
        return new TrustedKeys(Map.copyOf(byId));
    }

    /**
     * Reads public keys from files and folders (every regular file in a folder, as a mounted Secret has them; files
     * whose names start with a dot are skipped, which are Kubernetes' own).
     */
    public static TrustedKeys read(Collection<Path> paths) throws IOException {
        Map<String, byte[]> byId = new LinkedHashMap<>();
        for (Path path : paths) {
            for (Path file : KeyFiles.in(path)) {
                byte[] key = Ed25519Keys.readPublic(file);
                byId.put(Ed25519Keys.keyId(key), key);
            }
        }
        return new TrustedKeys(Map.copyOf(byId));
    }

    /** These keys and {@code also} (a process running both roles trusts its own key). */
    public TrustedKeys with(byte[] also) {
        Map<String, byte[]> byId = new LinkedHashMap<>(this.byId);
        byId.put(Ed25519Keys.keyId(also), also.clone());
        return new TrustedKeys(Map.copyOf(byId));
    }

    public boolean isEmpty() {
        return byId.isEmpty();
    }

    public Set<String> ids() {
        return byId.keySet();
    }

    public boolean knows(String keyId) {
        return keyId != null && byId.containsKey(keyId);
    }

    public Verdict verify(String keyId, byte[] message, byte[] signature) {
        byte[] key = keyId == null ? null : byId.get(keyId);
        if (key == null) {
            return Verdict.UNKNOWN_KEY;
        }
        if (signature == null || signature.length != Ed25519.SIGNATURE_SIZE) {
            return Verdict.BAD_SIGNATURE;
        }
        return Ed25519.verify(signature, 0, key, 0, message, 0, message.length) ? Verdict.VALID : Verdict.BAD_SIGNATURE;
    }
}
