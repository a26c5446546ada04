package dev.ferry.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * A route's AES-256 key, which wraps the data key of every attempt (end-to-end encryption). Read from a file holding
 * the 32 bytes in base64, as {@code openssl rand -base64 32 > route.aes} writes it. Its id (in every sealed record) is
 * derived, never configured: the first 8 bytes of SHA-256 over a domain tag and the key, in hex, so the id tells
 * nothing about the key.
 */
public final class SealingKey {

    /** Key files are one line of base64; anything much larger is not a key (and is not read whole). */
    private static final long MAX_FILE_BYTES = 1024;

    private final SecretKey key;
    private final String keyId;

    private SealingKey(byte[] raw) {
        if (raw.length != 32) {
            throw new IllegalArgumentException("an AES-256 key has 32 bytes, not " + raw.length);
        }
        this.key = new SecretKeySpec(raw, "AES");
        this.keyId = idOf(raw);
    }

    public static SealingKey read(Path file) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + " is not an AES-256 key: larger than " + MAX_FILE_BYTES + " bytes");
        }
        byte[] raw;
        try {
            raw = Base64.getMimeDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).trim());
        } catch (IllegalArgumentException e) {
            throw new IOException(
                    file + " is not an AES-256 key in base64 (openssl rand -base64 32): " + e.getMessage());
        }
        if (raw.length != 32) {
            throw new IOException(
                    file + " holds " + raw.length + " bytes; an AES-256 key has 32 (openssl rand " + "-base64 32)");
        }
        return new SealingKey(raw);
    }

    /** The keys in a file, or in every file of a folder (a mounted Secret; names starting with a dot skipped). */
    public static List<SealingKey> readAll(Path path) throws IOException {
        List<SealingKey> keys = new ArrayList<>();
        for (Path file : KeyFiles.in(path)) {
            keys.add(read(file));
        }
        return keys;
    }

    /** A new random key (tests). */
    public static SealingKey generate() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        return new SealingKey(raw);
    }

    /** The key as a key file holds it. */
    public String base64() {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /**
     * HMAC-SHA256 of {@code data} under this key, for {@code domain}: a keyed hash that tells nothing to whoever does
     * not hold the key (a transfer id of a sealed route is one, so a path cannot be confirmed by hashing a guess).
     */
    public byte[] hmac(String domain, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(domain.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is in every JDK", e);
        }
    }

    public String keyId() {
        return keyId;
    }

    SecretKey secretKey() {
        return key;
    }

    private static String idOf(byte[] raw) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("ferry-sealing-key-id".getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha.digest(raw), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}
