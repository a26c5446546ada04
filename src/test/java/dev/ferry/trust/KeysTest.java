package dev.ferry.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys as openssl makes them, signatures as the JDK checks them, and what a trust decision says. */
class KeysTest {

    @TempDir
    Path dir;

    @Test
    void keysMadeByOpensslAreReadAndOurSignaturesVerifyWithTheJdk() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")),
                "needs openssl: apt-get install openssl (.ci/run installs it)");
        Path key = dir.resolve("producer.key");
        Path pub = dir.resolve("producer.pub");
        run("openssl", "genpkey", "-algorithm", "ed25519", "-out", key.toString());
        run("openssl", "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString());

        SigningKey signer = SigningKey.read(key);
        byte[] message = "a chunk's signed bytes".getBytes(StandardCharsets.UTF_8);
        byte[] signature = signer.sign(message);

        PublicKey jdk = KeyFactory.getInstance("Ed25519")
                .generatePublic(new X509EncodedKeySpec(Files.readAllBytes(dir.resolve("producer.der.pub"))));
        Signature check = Signature.getInstance("Ed25519");
        check.initVerify(jdk);
        check.update(message);
        assertThat(check.verify(signature)).as("the JDK's Ed25519 accepts Bouncy Castle's signature").isTrue();
        assertThat(Ed25519Keys.readPublic(pub)).isEqualTo(signer.publicKey());
    }

    @Test
    void aTrustDecisionTellsAuthenticFromForgedUnknownAndUnsigned() throws Exception {
        SigningKey producer = SigningKey.generate();
        SigningKey stranger = SigningKey.generate();
        Files.writeString(dir.resolve("producer.pub"), Ed25519Keys.publicPem(producer.publicKey()));
        Files.writeString(dir.resolve(".hidden"), "Kubernetes keeps its own files here");
        TrustedKeys trusted = TrustedKeys.read(List.of(dir));
        assertThat(trusted.ids()).containsExactly(producer.keyId());

        KeyRing required = new KeyRing();
        required.use(Optional.empty(), trusted, true);
        byte[] message = { 1, 2, 3 };
        assertThat(required.check(producer.keyId(), producer.sign(message), () -> message))
                .isEqualTo(Authenticity.AUTHENTIC);
        assertThat(required.check(producer.keyId(), producer.sign(message), () -> new byte[] { 1, 2, 4 }))
                .isEqualTo(Authenticity.BAD_SIGNATURE);
        assertThat(required.check(stranger.keyId(), stranger.sign(message), () -> message))
                .isEqualTo(Authenticity.UNKNOWN_KEY);
        assertThat(required.check(null, null, () -> message)).isEqualTo(Authenticity.UNSIGNED);

        KeyRing optional = new KeyRing();
        optional.use(Optional.empty(), trusted, false);
        assertThat(optional.check(null, null, () -> message)).isEqualTo(Authenticity.UNCHECKED);
        assertThat(optional.check(stranger.keyId(), stranger.sign(message), () -> message))
                .isEqualTo(Authenticity.UNCHECKED);
        assertThat(optional.check(producer.keyId(), producer.sign(message), () -> new byte[] { 9 }))
                .as("a trusted key's signature that does not match is refused whatever the setting")
                .isEqualTo(Authenticity.BAD_SIGNATURE);
    }

    @Test
    void aFileThatIsNotAnEd25519KeyIsRefusedNamingIt() throws Exception {
        Path rsa = dir.resolve("rsa.pem");
        Files.writeString(rsa, "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n"
                + "-----END PUBLIC KEY-----\n");
        assertThatThrownBy(() -> Ed25519Keys.readPublic(rsa))
                .hasMessageContaining("rsa.pem is not an Ed25519 public key");
        Path key = dir.resolve("private.key");
        Files.writeString(key, SigningKey.generate().privatePem());
        assertThatThrownBy(() -> Ed25519Keys.readPublic(key))
                .hasMessageContaining("no -----BEGIN PUBLIC KEY----- block");
    }

    private void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        if (command[1].equals("pkey")) {
            // The DER form too, for the JDK's X509EncodedKeySpec.
            Process der = new ProcessBuilder("openssl", "pkey", "-pubin", "-in", command[command.length - 1],
                    "-outform", "DER", "-out", dir.resolve("producer.der.pub").toString()).start();
            assertThat(der.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
