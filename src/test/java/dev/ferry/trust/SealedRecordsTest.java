package dev.ferry.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.ChunkCompression;
import dev.ferry.chunk.Hashing;
import dev.ferry.chunk.InvalidRecordException;
import dev.ferry.chunk.WireFormat;

/** Records sealed by the producer's key ring open only on a consumer holding the key, and only where they belong. */
class SealedRecordsTest {

    static final String ID = "0123456789abcdef0123456789abcdef";
    static final String TOPIC = "ferry-chunks";

    final SealingKey route = SealingKey.generate();
    final KeyRing producer = ring(Optional.of(route), List.of());
    final KeyRing consumer = ring(Optional.empty(), List.of(route));

    static KeyRing ring(Optional<SealingKey> own, List<SealingKey> opening) {
        KeyRing keys = new KeyRing();
        keys.use(Optional.empty(), TrustedKeys.NONE, false);
        keys.useSealing(own, opening);
        return keys;
    }

    @Test
    void aSealedChunkShowsNothingAndOpensWhole() throws Exception {
        byte[] text = "secret salary line\n".repeat(300).getBytes(StandardCharsets.UTF_8);
        Chunk c = new Chunk(ID, 2, "hr/salaries.csv", 0, 1, 0, text.length, 5, 0600, text, Hashing.sha256(text));
        WireFormat.Encoded e = WireFormat.encode(c, ChunkCompression.AUTO, producer.sealerFor(TOPIC, ID, 2));
        String wire = new String(e.value(), StandardCharsets.ISO_8859_1) + headersText(e.headers());
        assertThat(wire).doesNotContain("salary").doesNotContain("salaries");

        WireFormat.Signed s = WireFormat.decodeSigned(ID, e.headers(), e.value());
        assertThat(s.isSealed()).isTrue();
        assertThat(s.record().path()).isEqualTo(WireFormat.SEALED_PATH);
        assertThat(WireFormat.open(s, consumer.openerFor(TOPIC, s))).isEqualTo(c);

        Abort abort = new Abort(ID, 2, "hr/salaries.csv", "hr/salaries.csv changed while it was read");
        WireFormat.Encoded a = WireFormat.encode(abort, ChunkCompression.NONE, producer.sealerFor(TOPIC, ID, 2));
        assertThat(headersText(a.headers())).doesNotContain("salaries");
        WireFormat.Signed sa = WireFormat.decodeSigned(ID, a.headers(), a.value());
        assertThat(WireFormat.open(sa, consumer.openerFor(TOPIC, sa))).isEqualTo(abort);
    }

    @Test
    void aSealedPartMovedToAnotherRecordOrTopicOrKeyDoesNotOpen() throws Exception {
        byte[] data = new byte[2048];
        Chunk first = new Chunk(ID, 0, "a.bin", 0, 2, 0, 3000, 5, 0600, data, null);
        WireFormat.Encoded e = WireFormat.encode(first, ChunkCompression.NONE, producer.sealerFor(TOPIC, ID, 0));
        // Another route's topic: the data key was wrapped for this one.
        WireFormat.Signed s = WireFormat.decodeSigned(ID, e.headers(), e.value());
        assertThatThrownBy(() -> consumer.openerFor("ferry-chunks.other", s)).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("forged, altered or moved");
        // The sealed value of chunk 0 presented as chunk 1 (offsets rewritten, CRC still right).
        Chunk second = new Chunk(ID, 0, WireFormat.SEALED_PATH, 1, 2, 2048, 3000, 5, 0600, e.value(), null);
        Headers moved = WireFormat.headersOf(second);
        for (String h : List.of(WireFormat.SEALING_KEY_HEADER, WireFormat.WRAPPED_KEY_HEADER,
                WireFormat.SEALED_PATH_HEADER, WireFormat.RAW_LENGTH_HEADER, WireFormat.SEALED_SHA256_HEADER)) {
            if (e.headers().lastHeader(h) != null) {
                moved.add(h, e.headers().lastHeader(h).value());
            }
        }
        moved.remove(WireFormat.RAW_LENGTH_HEADER);
        moved.add(WireFormat.RAW_LENGTH_HEADER, new byte[] { 0, 0, 3, (byte) 0xB8 });
        moved.add(WireFormat.SEALED_SHA256_HEADER, new byte[48]);
        WireFormat.Signed m = WireFormat.decodeSigned(ID, moved, e.value());
        assertThatThrownBy(() -> WireFormat.open(m, consumer.openerFor(TOPIC, m)))
                .isInstanceOf(InvalidRecordException.class);
        // A consumer without the key holds it (the environment's fault), one with another key refuses it.
        assertThatThrownBy(() -> ring(Optional.empty(), List.of()).openerFor(TOPIC, s))
                .isInstanceOf(KeyRing.MissingKeyException.class).hasMessageContaining(route.keyId());
    }

    private static String headersText(Headers headers) {
        StringBuilder b = new StringBuilder();
        new RecordHeaders(headers.toArray()).forEach(h -> b.append(h.key()).append('=')
                .append(new String(h.value() == null ? new byte[0] : h.value(), StandardCharsets.ISO_8859_1)));
        return b.toString();
    }
}
