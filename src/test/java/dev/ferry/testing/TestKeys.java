package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.ferry.trust.Ed25519Keys;
import dev.ferry.trust.SigningKey;

/**
 * Signing keys made at run time for tests (never committed): each as {@code <name>.key} (PKCS#8 PEM) and
 * {@code <name>.pub} (public PEM), like {@code openssl genpkey} and {@code openssl pkey -pubout} write them. A key is
 * made once per folder and read back after: a Quarkus test profile and its test class may run in different class
 * loaders, and the files are what they share.
 */
public final class TestKeys {

    public final Path dir;

    public TestKeys(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    /** Keys under {@code target/test-keys/<name>}. */
    public static TestKeys named(String name) {
        return new TestKeys(Path.of("target", "test-keys", name));
    }

    /** Makes key {@code name} in {@link #dir} (its {@code .key} and {@code .pub}) and returns it. */
    public SigningKey make(String name) {
        return make(name, dir);
    }

    /** Makes key {@code name}: its private key in {@link #dir}, its public key in {@code publicDir}. */
    public synchronized SigningKey make(String name, Path publicDir) {
        try {
            Files.createDirectories(dir);
            Files.createDirectories(publicDir);
            Path file = dir.resolve(name + ".key");
            if (!Files.exists(file)) {
                Files.writeString(file, SigningKey.generate().privatePem());
            }
            SigningKey key = SigningKey.read(file);
            Files.writeString(publicDir.resolve(name + ".pub"), Ed25519Keys.publicPem(key.publicKey()));
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path privateKey(String name) {
        return dir.resolve(name + ".key");
    }

    public SigningKey read(String name) {
        try {
            return SigningKey.read(privateKey(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
