package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

import org.awaitility.Awaitility;

import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;

/**
 * Bearer tokens as an identity provider would issue them, signed by an RSA key made once under target/test-keys (so
 * that every class loader of a Quarkus test, and every test JVM of a build, signs with the same one): the public key is
 * where a Ferry process is told to look ({@code MP_JWT_VERIFY_PUBLICKEY_LOCATION}).
 */
public final class TestTokens {

    public static final String ISSUER = "https://ferry-tests.invalid/issuer";
    static final String KEY_ID = "ferry-tests-1";
    private static final Path DIR = Path.of("target", "test-keys").toAbsolutePath();
    private static final KeyPair KEYS = load();

    private TestTokens() {
    }

    /** A token for {@code user} with {@code roles} in its groups claim, valid for an hour. */
    public static String token(String user, String... roles) {
        return Jwt.issuer(ISSUER).upn(user).groups(Set.of(roles)).expiresIn(Duration.ofHours(1))
                .sign(KEYS.getPrivate());
    }

    /** A token that expired a minute ago (beyond the verifier's clock skew of a minute). */
    public static String expiredToken(String user, String... roles) {
        long now = System.currentTimeMillis() / 1000;
        return Jwt.issuer(ISSUER).upn(user).groups(Set.of(roles)).issuedAt(now - 7200).expiresAt(now - 180)
                .sign(KEYS.getPrivate());
    }

    /** The same, signed by a key nobody trusts. */
    public static String forgedToken(String user, String... roles) {
        return Jwt.issuer(ISSUER).upn(user).groups(Set.of(roles)).expiresIn(Duration.ofHours(1))
                .sign(generate().getPrivate());
    }

    /**
     * An OpenID Connect ID token as an identity provider issues it after a login: {@code issuer} and the client it is
     * for ({@code audience}), the user as {@code preferred_username}, {@code groups}, the {@code nonce} the client sent
     * (if any), signed with key id {@value #KEY_ID}.
     */
    public static String idToken(String issuer, String audience, String user, String nonce, Set<String> groups) {
        JwtClaimsBuilder claims = Jwt.issuer(issuer).audience(audience).subject("id-" + user)
                .claim("preferred_username", user).groups(groups).expiresIn(Duration.ofMinutes(10));
        if (nonce != null) {
            claims.claim("nonce", nonce);
        }
        return claims.jws().keyId(KEY_ID).sign(KEYS.getPrivate());
    }

    /** The public key as a JSON Web Key Set, as an identity provider publishes it at its {@code jwks_uri}. */
    public static String jwks() {
        RSAPublicKey key = (RSAPublicKey) KEYS.getPublic();
        return "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"" + KEY_ID + "\",\"n\":\""
                + base64Url(key.getModulus()) + "\",\"e\":\"" + base64Url(key.getPublicExponent()) + "\"}]}";
    }

    private static String base64Url(BigInteger value) {
        byte[] bytes = value.toByteArray();
        // Unsigned, as JWK wants it: toByteArray adds a zero byte in front of a number whose top bit is set.
        int from = bytes.length > 1 && bytes[0] == 0 ? 1 : 0;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOfRange(bytes, from, bytes.length));
    }

    /** The public key as a PEM file. */
    public static Path publicKeyFile() {
        return DIR.resolve("jwt-public.pem");
    }

    /** The settings that make a Ferry process accept these tokens. */
    public static Map<String, String> env() {
        return Map.of("MP_JWT_VERIFY_PUBLICKEY_LOCATION", publicKeyFile().toString(), "MP_JWT_VERIFY_ISSUER", ISSUER);
    }

    /** The key pair under target/test-keys, made (and written atomically) by whoever needs it first. */
    private static synchronized KeyPair load() {
        Path privateFile = DIR.resolve("jwt-private.der");
        try {
            if (!Files.exists(privateFile)) {
                KeyPair made = generate();
                Files.createDirectories(DIR);
                Path pem = Files.createTempFile(DIR, "jwt-public", ".tmp");
                Files.writeString(pem,
                        "-----BEGIN PUBLIC KEY-----\n"
                                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(
                                        made.getPublic().getEncoded())
                                + "\n-----END PUBLIC KEY-----\n");
                Path der = Files.createTempFile(DIR, "jwt-private", ".tmp");
                Files.write(der, made.getPrivate().getEncoded());
                try {
                    Files.move(der, privateFile, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(pem, publicKeyFile(), StandardCopyOption.ATOMIC_MOVE,
                            StandardCopyOption.REPLACE_EXISTING);
                } catch (FileAlreadyExistsException e) {
                    Files.delete(der); // another JVM was first: use its pair
                    Files.delete(pem);
                }
            }
            // The first JVM may be between its two moves: wait for the public key it is about to publish. Polled in
            // this thread: this runs while the class initialises, which a polling thread would wait for.
            Path published = publicKeyFile();
            Awaitility.await("the public key of the test token key pair").pollInSameThread()
                    .atMost(Duration.ofSeconds(5)).until(() -> Files.exists(published));
            KeyFactory rsa = KeyFactory.getInstance("RSA");
            PrivateKey privateKey = rsa.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(privateFile)));
            String pem = Files.readString(publicKeyFile()).replaceAll("-----[A-Z ]+-----|\\s", "");
            PublicKey publicKey = rsa.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(pem)));
            return new KeyPair(publicKey, privateKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("RSA is in every JDK", e);
        }
    }
}
