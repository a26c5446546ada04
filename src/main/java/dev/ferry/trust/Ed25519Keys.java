package dev.ferry.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Reads Ed25519 keys as {@code openssl} writes them: a private key in PKCS#8 PEM
 * ({@code openssl genpkey -algorithm ed25519 -out ferry.key}) and a public key in SubjectPublicKeyInfo PEM
 * ({@code openssl pkey -in ferry.key -pubout -out ferry.pub}). For Ed25519 both encodings are a fixed DER prefix
 * followed by the 32 raw key bytes (RFC 8410), so they are checked byte for byte rather than parsed generally.
 */
public final class Ed25519Keys {

    /** PKCS#8 v1 PrivateKeyInfo with algorithm id 1.3.101.112 and a 32-byte OCTET STRING. */
    private static final byte[] PRIVATE_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");
    /** SubjectPublicKeyInfo with algorithm id 1.3.101.112 and a 32-byte BIT STRING. */
    private static final byte[] PUBLIC_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    /** Key files are a few hundred bytes; a larger one is not a key (and is not read whole). */
    private static final long MAX_FILE_BYTES = 16 * 1024;

    private Ed25519Keys() {
    }

    /** The 32-byte private key (seed) in a PKCS#8 PEM or DER file. */
    public static byte[] readPrivate(Path file) throws IOException {
        return raw(file, PRIVATE_PREFIX, "PRIVATE KEY", "an Ed25519 private key (openssl genpkey -algorithm ed25519)");
    }

    /** The 32-byte public key in a SubjectPublicKeyInfo PEM or DER file. */
    public static byte[] readPublic(Path file) throws IOException {
        return raw(file, PUBLIC_PREFIX, "PUBLIC KEY", "an Ed25519 public key (openssl pkey -pubout)");
    }

    /**
     * The key id records and receipts carry: the first 8 bytes of the SHA-256 of the raw public key, in hex. Derived,
     * never configured, so it cannot name the wrong key.
     */
    public static String keyId(byte[] publicKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(publicKey);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }

    /** A PEM file of a public key, as {@code openssl pkey -pubout} writes it. */
    public static String publicPem(byte[] publicKey) {
        return pem("PUBLIC KEY", concat(PUBLIC_PREFIX, publicKey));
    }

    /** A PEM file of a private key, as {@code openssl genpkey -algorithm ed25519} writes it. */
    public static String privatePem(byte[] seed) {
        return pem("PRIVATE KEY", concat(PRIVATE_PREFIX, seed));
    }

    private static byte[] raw(Path file, byte[] prefix, String label, String what) throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException(file + " is not " + what + ": larger than " + MAX_FILE_BYTES + " bytes");
        }
        byte[] content = Files.readAllBytes(file);
        byte[] der = content;
        String text = new String(content, StandardCharsets.US_ASCII);
        if (text.contains("-----BEGIN")) {
            String begin = "-----BEGIN " + label + "-----";
            int from = text.indexOf(begin);
            int to = text.indexOf("-----END " + label + "-----");
            if (from < 0 || to < from) {
                throw new IOException(file + " is not " + what + ": no " + begin + " block");
            }
            try {
                der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " is not " + what + ": " + e.getMessage());
            }
        }
        if (der.length != prefix.length + 32 || !Arrays.equals(der, 0, prefix.length, prefix, 0, prefix.length)) {
            throw new IOException(file + " is not " + what);
        }
        return Arrays.copyOfRange(der, prefix.length, der.length);
    }

    private static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] { '\n' }).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
