package dev.ferry.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import javax.crypto.AEADBadTagException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What sealing promises: only the right key, transfer, attempt, purpose and index open a sealed value. */
class AesGcmTest {

    @TempDir
    Path dir;

    @Test
    void aSealedChunkOpensOnlyWhereItWasSealed() throws Exception {
        SealingKey route = SealingKey.generate();
        AesGcm.DataKey key = AesGcm.newDataKey(route, "ferry-chunks", "t1", 0);
        byte[] data = new byte[4096];
        new Random(1).nextBytes(data);
        byte[] aad = "t1|0|3".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = AesGcm.seal(key, AesGcm.CHUNK, 3, aad, data);
        assertThat(sealed).hasSize(data.length + AesGcm.TAG_BYTES);

        AesGcm.DataKey opened = AesGcm.unwrap(route, key.wrapped(), "ferry-chunks", "t1", 0);
        assertThat(AesGcm.open(opened, AesGcm.CHUNK, 3, aad, sealed)).isEqualTo(data);

        byte[] flipped = sealed.clone();
        flipped[100] ^= 1;
        assertThatThrownBy(() -> AesGcm.open(opened, AesGcm.CHUNK, 3, aad, flipped))
                .isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> AesGcm.open(opened, AesGcm.CHUNK, 4, aad, sealed)).as("moved to another index")
                .isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> AesGcm.open(opened, AesGcm.PATH, 3, aad, sealed)).as("another purpose")
                .isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(
                () -> AesGcm.open(opened, AesGcm.CHUNK, 3, "t2|0|3".getBytes(StandardCharsets.UTF_8), sealed))
                        .as("another transfer").isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> AesGcm.unwrap(route, key.wrapped(), "ferry-chunks", "t1", 1))
                .as("the data key of another attempt").isInstanceOf(AEADBadTagException.class);
        assertThatThrownBy(() -> AesGcm.unwrap(SealingKey.generate(), key.wrapped(), "ferry-chunks", "t1", 0))
                .as("a wrong route key").isInstanceOf(AEADBadTagException.class);
    }

    @Test
    void keyFilesAreBase64AndTheirIdsTellNothingOfThem() throws Exception {
        SealingKey key = SealingKey.generate();
        Path file = dir.resolve("route.aes");
        Files.writeString(file, key.base64() + "\n");
        SealingKey read = SealingKey.read(file);
        assertThat(read.keyId()).isEqualTo(key.keyId()).hasSize(16).doesNotContain(key.base64().substring(0, 8));
        Files.writeString(file, "c2hvcnQ=\n");
        assertThatThrownBy(() -> SealingKey.read(file)).hasMessageContaining("holds 5 bytes; an AES-256 key has 32");
    }
}
