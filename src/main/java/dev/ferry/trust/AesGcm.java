package dev.ferry.trust;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.IntFunction;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM for end-to-end encryption, all in the JDK. Each attempt of a transfer gets a fresh random data key,
 * wrapped by the route's {@link SealingKey} (the wrapped form travels with every record of the attempt, so any record
 * can be opened alone); everything of the attempt is sealed under the data key with a nonce made of a purpose and a
 * counter (chunk index), so no nonce repeats under a key, and with associated data that binds each sealed value to the
 * record it belongs to: moving a sealed chunk to another transfer, attempt or index makes it fail to open.
 */
public final class AesGcm {

    /** Purposes: the first 4 bytes of a nonce under a data key. */
    public static final int CHUNK = 1;
    public static final int PATH = 2;
    public static final int REASON = 3;

    /** Bytes GCM adds to what it seals: the authentication tag. */
    public static final int TAG_BYTES = 16;

    /** A wrapped data key: a random nonce, the sealed 32 bytes and their tag. */
    public static final int WRAPPED_BYTES = 12 + 32 + TAG_BYTES;

    private static final SecureRandom RANDOM = new SecureRandom();

    private AesGcm() {
    }

    /** The data key of one attempt, and its wrapped form for the records. */
    public record DataKey(SecretKey key, String sealingKeyId, byte[] wrapped) {
    }

    /** A fresh data key for an attempt, wrapped by {@code sealingKey} for exactly that topic, transfer and attempt. */
    public static DataKey newDataKey(SealingKey sealingKey, String topic, String transferId, int attempt) {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            byte[] sealed = gcm(Cipher.ENCRYPT_MODE, sealingKey.secretKey(), nonce, wrapAad(topic, transferId, attempt),
                    raw);
            byte[] wrapped = ByteBuffer.allocate(WRAPPED_BYTES).put(nonce).put(sealed).array();
            return new DataKey(new SecretKeySpec(raw, "AES"), sealingKey.keyId(), wrapped);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is in every JDK", e);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /**
     * Opens a wrapped data key.
     *
     * @throws AEADBadTagException
     *             it was not wrapped by this key for this topic, transfer and attempt (forged, altered or moved)
     */
    public static DataKey unwrap(SealingKey sealingKey, byte[] wrapped, String topic, String transferId, int attempt)
            throws AEADBadTagException {
        if (wrapped == null || wrapped.length != WRAPPED_BYTES) {
            throw new AEADBadTagException("a wrapped data key has " + WRAPPED_BYTES + " bytes");
        }
        try {
            byte[] raw = gcm(Cipher.DECRYPT_MODE, sealingKey.secretKey(), Arrays.copyOf(wrapped, 12),
                    wrapAad(topic, transferId, attempt), Arrays.copyOfRange(wrapped, 12, wrapped.length));
            return new DataKey(new SecretKeySpec(raw, "AES"), sealingKey.keyId(), wrapped.clone());
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is in every JDK", e);
        }
    }

    /** Seals {@code plaintext} under the data key; {@code purpose} and {@code counter} must never repeat for it. */
    public static byte[] seal(DataKey key, int purpose, long counter, byte[] aad, byte[] plaintext) {
        return seal(key, purpose, counter, aad, plaintext, byte[]::new);
    }

    /**
     * Seals into an array from {@code allocate} (given the exact length it must have): a producer passes a pool, since
     * a fresh array per chunk of 512 KiB or more is a "humongous" G1 allocation that starts a marking cycle each.
     */
    public static byte[] seal(DataKey key, int purpose, long counter, byte[] aad, byte[] plaintext,
            IntFunction<byte[]> allocate) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.key(), new GCMParameterSpec(TAG_BYTES * 8, nonce(purpose, counter)));
            cipher.updateAAD(aad);
            byte[] out = allocate.apply(plaintext.length + TAG_BYTES);
            cipher.doFinal(plaintext, 0, plaintext.length, out, 0);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is in every JDK", e);
        }
    }

    /**
     * @throws AEADBadTagException
     *             not sealed under this data key with this purpose, counter and associated data
     */
    public static byte[] open(DataKey key, int purpose, long counter, byte[] aad, byte[] sealed)
            throws AEADBadTagException {
        try {
            return gcm(Cipher.DECRYPT_MODE, key.key(), nonce(purpose, counter), aad, sealed);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is in every JDK", e);
        }
    }

    /** Seals a small value directly under a route key, with a random nonce (kept in front of the result). */
    public static byte[] sealWithKey(SealingKey key, byte[] aad, byte[] plaintext) {
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        try {
            byte[] sealed = gcm(Cipher.ENCRYPT_MODE, key.secretKey(), nonce, aad, plaintext);
            return ByteBuffer.allocate(12 + sealed.length).put(nonce).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is in every JDK", e);
        }
    }

    /** Opens what {@link #sealWithKey} sealed. */
    public static byte[] openWithKey(SealingKey key, byte[] aad, byte[] sealed) throws AEADBadTagException {
        if (sealed.length < 12 + TAG_BYTES) {
            throw new AEADBadTagException("too short to be sealed");
        }
        try {
            return gcm(Cipher.DECRYPT_MODE, key.secretKey(), Arrays.copyOf(sealed, 12), aad,
                    Arrays.copyOfRange(sealed, 12, sealed.length));
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is in every JDK", e);
        }
    }

    private static byte[] nonce(int purpose, long counter) {
        return ByteBuffer.allocate(12).putInt(purpose).putLong(counter).array();
    }

    private static byte[] wrapAad(String topic, String transferId, int attempt) {
        return ("ferry-data-key-v1\0" + topic + '\0' + transferId + '\0' + attempt).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gcm(int mode, SecretKey key, byte[] nonce, byte[] aad, byte[] input)
            throws GeneralSecurityException {
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(mode, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
        cipher.updateAAD(aad);
        return cipher.doFinal(input);
    }
}
