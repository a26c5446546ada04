package dev.ferry.chunk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.jupiter.api.Test;

class WireFormatTest {

    static final String ID = "0123456789abcdef0123456789abcdef";

    static Chunk chunk(int index, int count, long offset, long size, byte[] data, byte[] sha) {
        return new Chunk(ID, 3, "dir/file.bin", index, count, offset, size, 1_700_000_000_000L, 0640, data, sha);
    }

    static FerryRecord roundTrip(FerryRecord record) throws InvalidRecordException {
        return WireFormat.decode(record.transferId(), WireFormat.headersOf(record), WireFormat.valueOf(record));
    }

    @Test
    void chunkSurvivesRoundTripWithEveryField() throws Exception {
        byte[] data = new byte[2000];
        new Random(1).nextBytes(data);
        Chunk first = chunk(0, 3, 0, 5000, data, null);
        Chunk last = chunk(2, 3, 4000, 5000, Arrays.copyOf(data, 1000), new byte[32]);

        assertThat(roundTrip(first)).isEqualTo(first);
        assertThat(roundTrip(last)).isEqualTo(last);
        assertThat(((Chunk) roundTrip(last)).isLast()).isTrue();
    }

    @Test
    void emptyFileIsOneEmptyLastChunk() throws Exception {
        Chunk empty = chunk(0, 1, 0, 0, new byte[0], new byte[32]);
        Chunk decoded = (Chunk) roundTrip(empty);
        assertThat(decoded.data()).isEmpty();
        assertThat(decoded.isLast()).isTrue();
        assertThat(Chunk.countFor(0, 512)).isEqualTo(1);
        assertThat(Chunk.countFor(512, 512)).isEqualTo(1);
        assertThat(Chunk.countFor(513, 512)).isEqualTo(2);
    }

    @Test
    void abortSurvivesRoundTrip() throws Exception {
        Abort abort = new Abort(ID, 7, "a/b", "file changed while it was read");
        assertThat(roundTrip(abort)).isEqualTo(abort);
    }

    @Test
    void flippedByteInValueIsRejectedWithBothChecksums() {
        byte[] data = Arrays.copyOf("hello, ferry".getBytes(StandardCharsets.UTF_8), 1024);
        Chunk c = chunk(0, 2, 0, 2048, data, null);
        Headers headers = WireFormat.headersOf(c);
        byte[] corrupted = data.clone();
        corrupted[3] ^= 1;

        assertThatThrownBy(() -> WireFormat.decode(ID, headers, corrupted)).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("ferry-crc32c mismatch: stored " + String.format("%08x", WireFormat.crc32c(data)))
                .hasMessageContaining("computed " + String.format("%08x", WireFormat.crc32c(corrupted)));
    }

    @Test
    void truncatedValueIsRejected() {
        byte[] data = new byte[1024];
        Chunk last = chunk(1, 2, 1024, 2048, data, new byte[32]);
        Headers headers = WireFormat.headersOf(last);
        assertThatThrownBy(() -> WireFormat.decode(ID, headers, Arrays.copyOf(data, 600)))
                .hasMessage("chunk of 600 bytes at ferry-offset 1024 does not end at ferry-size 2048");
    }

    @Test
    void truncatedHeaderIsRejectedByName() {
        Headers headers = WireFormat.headersOf(chunk(0, 2, 0, 100, new byte[10], null));
        headers.remove(WireFormat.OFFSET_HEADER);
        headers.add(WireFormat.OFFSET_HEADER, new byte[] { 0, 0, 1 });
        assertThatThrownBy(() -> WireFormat.decode(ID, headers, new byte[10]))
                .hasMessage("header ferry-offset must be 8 bytes, was 3");
    }

    @Test
    void unknownVersionIsRejectedBeforeAnythingElse() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(WireFormat.VERSION_HEADER, new byte[] { 9 });
        assertThatThrownBy(() -> WireFormat.decode("not-an-id", headers, new byte[0]))
                .hasMessage("unknown ferry-version 9; this consumer reads versions 1 and 2");
    }

    @Test
    void aSignedRecordCarriesItsKeyAndSignatureAndAVersionOneRecordIsStillRead() throws Exception {
        Chunk c = chunk(0, 1, 0, 3, new byte[] { 1, 2, 3 }, new byte[32]);
        byte[] signature = new byte[WireFormat.SIGNATURE_BYTES];
        Arrays.fill(signature, (byte) 7);
        Headers signed = WireFormat.headersOf(c, "0011223344556677", signature);
        WireFormat.Signed s = WireFormat.decodeSigned(ID, signed, c.data());
        assertThat(s.record()).isEqualTo(c);
        assertThat(s.keyId()).isEqualTo("0011223344556677");
        assertThat(s.signature()).isEqualTo(signature);

        Headers v1 = WireFormat.headersOf(c);
        v1.remove(WireFormat.VERSION_HEADER);
        v1.add(WireFormat.VERSION_HEADER, new byte[] { WireFormat.VERSION_UNSIGNED });
        WireFormat.Signed old = WireFormat.decodeSigned(ID, v1, c.data());
        assertThat(old.record()).isEqualTo(c);
        assertThat(old.isSigned()).isFalse();

        signed.remove(WireFormat.SIGNATURE_HEADER);
        signed.add(WireFormat.SIGNATURE_HEADER, new byte[10]);
        assertThatThrownBy(() -> WireFormat.decodeSigned(ID, signed, c.data()))
                .hasMessage("header ferry-signature must be 64 bytes, was 10");
    }

    @Test
    void compressedChunksRoundTripAndIncompressibleOnesTravelRaw() throws Exception {
        byte[] text = "2026-12-01 INFO ferry: a log line that repeats, as logs do\n".repeat(400)
                .getBytes(StandardCharsets.UTF_8);
        byte[] random = new byte[text.length];
        new Random(5).nextBytes(random);
        for (ChunkCompression compression : ChunkCompression.values()) {
            Chunk c = chunk(0, 1, 0, text.length, text, new byte[32]);
            WireFormat.Encoded e = WireFormat.encode(c, compression);
            assertThat(WireFormat.decode(ID, e.headers(), e.value())).as(compression.name()).isEqualTo(c);
            if (compression != ChunkCompression.NONE) {
                assertThat(e.value().length).as(compression.name()).isLessThan(text.length / 5);
            }
            Chunk noise = chunk(0, 1, 0, random.length, random, new byte[32]);
            WireFormat.Encoded raw = WireFormat.encode(noise, compression);
            assertThat(raw.value()).as("random bytes are sent as they are").isSameAs(random);
            assertThat(raw.headers().lastHeader(WireFormat.COMPRESSION_HEADER)).isNull();
        }
    }

    @Test
    void aCompressedChunkThatLiesAboutItsLengthIsRefusedWithoutAllocatingTheClaim() {
        byte[] text = "x".repeat(4096).getBytes(StandardCharsets.UTF_8);
        Chunk c = chunk(0, 1, 0, text.length, text, new byte[32]);
        for (ChunkCompression compression : List.of(ChunkCompression.ZSTD, ChunkCompression.LZ4)) {
            WireFormat.Encoded e = WireFormat.encode(c, compression);
            // Claims fewer bytes than it holds: a decompression bomb must stop at the claim.
            Headers shorter = copyWith(e.headers(), WireFormat.RAW_LENGTH_HEADER,
                    ByteBuffer.allocate(4).putInt(100).array());
            assertThatThrownBy(() -> WireFormat.decode(ID, shorter, e.value())).as(compression.name())
                    .isInstanceOf(InvalidRecordException.class);
            // Claims more than any chunk may hold: refused before anything is allocated.
            Headers huge = copyWith(e.headers(), WireFormat.RAW_LENGTH_HEADER,
                    ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
            assertThatThrownBy(() -> WireFormat.decode(ID, huge, e.value()))
                    .hasMessageContaining("ferry-raw-length 2147483647 is outside");
        }
    }

    private static Headers copyWith(Headers headers, String name, byte[] value) {
        RecordHeaders copy = new RecordHeaders(headers.toArray());
        copy.remove(name);
        copy.add(name, value);
        return copy;
    }

    @Test
    void whatIsSignedChangesWithEveryFieldTheTopicAndTheBytes() {
        byte[] data = { 1, 2, 3 };
        Chunk c = chunk(0, 1, 0, 3, data, new byte[32]);
        byte[] base = WireFormat.signedBytes(c, "ferry-chunks", "k1");
        assertThat(WireFormat.signedBytes(c, "ferry-chunks", "k1")).isEqualTo(base);
        assertThat(WireFormat.signedBytes(c, "ferry-chunks.other", "k1")).as("another route's topic")
                .isNotEqualTo(base);
        assertThat(WireFormat.signedBytes(c, "ferry-chunks", "k2")).as("another key").isNotEqualTo(base);
        Chunk higherAttempt = new Chunk(ID, 7, c.path(), 0, 1, 0, 3, c.modifiedMillis(), c.mode(), data, c.sha256());
        assertThat(WireFormat.signedBytes(higherAttempt, "ferry-chunks", "k1")).isNotEqualTo(base);
        Chunk otherBytes = new Chunk(ID, 0, c.path(), 0, 1, 0, 3, c.modifiedMillis(), c.mode(), new byte[] { 1, 2, 4 },
                c.sha256());
        assertThat(WireFormat.signedBytes(otherBytes, "ferry-chunks", "k1")).isNotEqualTo(base);
        Abort abort = new Abort(ID, 0, c.path(), "file changed");
        assertThat(WireFormat.signedBytes(abort, "ferry-chunks", "k1")).isNotEqualTo(base);
    }

    @Test
    void recordWithoutHeadersIsNotAFerryRecord() {
        assertThatThrownBy(() -> WireFormat.decode(ID, new RecordHeaders(), "garbage".getBytes()))
                .hasMessage("missing header ferry-version");
    }

    @Test
    void badKeyIsRejected() {
        Headers headers = WireFormat.headersOf(chunk(0, 1, 0, 1, new byte[1], new byte[32]));
        assertThatThrownBy(() -> WireFormat.decode("../etc", headers, new byte[1]))
                .hasMessageContaining("record key must be a transfer id");
    }

    @Test
    void aTransferHeaderThatDiffersFromTheKeyIsRejected() {
        Headers headers = WireFormat.headersOf(chunk(0, 1, 0, 1, new byte[1], new byte[32]));
        assertThatThrownBy(() -> WireFormat.decode(ID.replace('0', 'f'), headers, new byte[1]))
                .hasMessageContaining("ferry-transfer \"" + ID + "\" differs from the record key");
    }

    @Test
    void missingShaOnLastChunkIsRejected() {
        Headers headers = WireFormat.headersOf(chunk(0, 1, 0, 4, new byte[4], null));
        assertThatThrownBy(() -> WireFormat.decode(ID, headers, new byte[4])).hasMessage("missing header ferry-sha256");
    }

    @Test
    void indexOutsideCountIsRejected() {
        Headers headers = WireFormat.headersOf(chunk(5, 3, 0, 100, new byte[4], null));
        assertThatThrownBy(() -> WireFormat.decode(ID, headers, new byte[4]))
                .hasMessage("ferry-index 5 is outside ferry-count 3");
    }

    @Test
    void hostilePathsAreRejected() {
        for (String path : new String[] { "../escape", "/etc/passwd", "a/../../b", "a//b", "a/./b", "nul\0byte", "",
                "back\\slash", "trailing/" }) {
            Chunk c = new Chunk(ID, 0, path, 0, 1, 0, 1, 0, -1, new byte[1], new byte[32]);
            assertThatThrownBy(() -> roundTrip(c)).as(path).isInstanceOf(InvalidRecordException.class)
                    .hasMessageStartingWith("unsafe ferry-path");
        }
    }

    @Test
    void ordinaryPathsAreAccepted() {
        for (String path : new String[] { "a", "a/b/c.txt", "..hidden-but-legal", "dir with space/ü.bin", ".x/y" }) {
            assertThat(RelativePaths.problemWith(path)).as(path).isNull();
        }
    }

    @Test
    void worstCaseRecordFitsTheHeadroom() {
        int chunkSize = 64 * 1024;
        // 16 segments of 254 bytes and separators: 4079 bytes, the longest kind of path the rule allows.
        String longPath = String.join("/", Collections.nCopies(16, "é".repeat(127)));
        assertThat(RelativePaths.problemWith(longPath)).isNull();
        Chunk worst = new Chunk(ID, Integer.MAX_VALUE, longPath, Integer.MAX_VALUE - 1, Integer.MAX_VALUE,
                Long.MAX_VALUE / 2, Long.MAX_VALUE, Long.MAX_VALUE, 07777, new byte[chunkSize], new byte[32]);
        Abort worstAbort = new Abort(ID, Integer.MAX_VALUE, longPath, "x".repeat(10_000));

        for (FerryRecord record : new FerryRecord[] { worst, worstAbort }) {
            MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(System.currentTimeMillis(), ID.getBytes(StandardCharsets.UTF_8),
                            WireFormat.valueOf(record), WireFormat.headersOf(record).toArray()));
            assertThat(batch.sizeInBytes()).isLessThanOrEqualTo(WireFormat.maxRecordBytes(chunkSize));
        }
    }

    @Test
    void offsetsThatOverflowAreRejected() {
        // offset + length wraps around to a negative number: an unchecked "offset + length > size" passes it.
        Headers headers = WireFormat.headersOf(chunk(1, 3, Long.MAX_VALUE - 10, Long.MAX_VALUE, new byte[1024], null));
        assertThatThrownBy(() -> WireFormat.decode(ID, headers, new byte[1024]))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("does not fit ferry-size")
                .hasMessageContaining("ferry-offset " + (Long.MAX_VALUE - 10));
        Headers last = WireFormat.headersOf(chunk(1, 2, Long.MAX_VALUE - 10, 5, new byte[1024], new byte[32]));
        assertThatThrownBy(() -> WireFormat.decode(ID, last, new byte[1024])).hasMessageContaining("does not end at");
    }

    @Test
    void aCountThatTheSizeAndChunkLengthDoNotGiveIsRejected() {
        // A 100-byte first chunk claiming 2^31-1 chunks: before the check, its bit set alone took 256 MiB.
        Headers tiny = WireFormat.headersOf(chunk(0, Integer.MAX_VALUE, 0, Long.MAX_VALUE, new byte[100], null));
        assertThatThrownBy(() -> WireFormat.decode(ID, tiny, new byte[100]))
                .hasMessage("chunk 0 of 2147483647 has 100 bytes; every chunk but the last has at least 1024");
        Headers wrongCount = WireFormat.headersOf(chunk(0, Integer.MAX_VALUE, 0, 4096, new byte[1024], null));
        assertThatThrownBy(() -> WireFormat.decode(ID, wrongCount, new byte[1024])).hasMessageContaining(
                "chunk 0 of 1024 bytes at ferry-offset 0 is not on the grid of a 4096-byte file in 2147483647 chunks");
        Headers offGrid = WireFormat.headersOf(chunk(2, 4, 1000, 4096, new byte[1024], null));
        assertThatThrownBy(() -> WireFormat.decode(ID, offGrid, new byte[1024]))
                .hasMessageContaining("not on the grid");
        Headers lastOffGrid = WireFormat.headersOf(chunk(3, 4, 3000, 3100, new byte[100], new byte[32]));
        assertThatThrownBy(() -> WireFormat.decode(ID, lastOffGrid, new byte[100]))
                .hasMessageContaining("last chunk of 100 bytes at ferry-offset 3000 is not on the grid");
        Headers emptyMiddle = WireFormat.headersOf(chunk(0, 2, 0, 2048, new byte[0], null));
        assertThatThrownBy(() -> WireFormat.decode(ID, emptyMiddle, new byte[0])).hasMessageContaining("at least 1024");
    }

    @Test
    void namesLinuxAllowsButTheRuleRefusesAreRejectedOnTheWire() {
        for (String path : new String[] { "tab\there", "c1\u0085x", "invoice\u202Efdp.exe", "lrm\u200Ex",
                "isolate\u2066x", "bad\uFFFDutf8", "x".repeat(256), "ok/" + "y".repeat(256) + "/z" }) {
            Chunk c = new Chunk(ID, 0, path, 0, 1, 0, 1, 0, -1, new byte[1], new byte[32]);
            assertThatThrownBy(() -> roundTrip(c)).as(path).isInstanceOf(InvalidRecordException.class)
                    .hasMessageStartingWith("unsafe ferry-path");
        }
        assertThat(RelativePaths.problemWith("unpaired\uD800x")).contains("unpaired surrogate");
        assertThat(RelativePaths.problemWith("x".repeat(255))).isNull();
        assertThat(RelativePaths.problemWith("ü".repeat(127) + "x")).isNull();
        assertThat(RelativePaths.problemWith("ü".repeat(128))).contains("segment of 256 bytes");
        assertThat(RelativePaths.printable("invoice\u202Efdp.exe")).isEqualTo("\"invoice\\u202Efdp.exe\"");
    }

    @Test
    void pathBytesThatAreNotUtf8AreRejected() {
        Headers headers = WireFormat.headersOf(chunk(0, 1, 0, 1, new byte[1], new byte[32]));
        headers.remove(WireFormat.PATH_HEADER);
        headers.add(WireFormat.PATH_HEADER, new byte[] { 'a', (byte) 0xff, 'b' });
        assertThatThrownBy(() -> WireFormat.decode(ID, headers, new byte[1]))
                .hasMessage("ferry-path is not valid UTF-8");
    }

    @Test
    void truncationKeepsWholeCharacters() {
        assertThat(RelativePaths.truncateUtf8("aü€", 3)).isEqualTo("aü");
        assertThat(RelativePaths.truncateUtf8("aü€", 5)).isEqualTo("aü");
        assertThat(RelativePaths.truncateUtf8("aü€", 6)).isEqualTo("aü€");
        assertThat(RelativePaths.utf8Length("aü€\uD83D\uDE00")).isEqualTo(10);
    }

    @Test
    void headersAreBigEndian() {
        Headers headers = WireFormat.headersOf(chunk(0, 2, 0, 258, new byte[1], null));
        assertThat(headers.lastHeader(WireFormat.SIZE_HEADER).value())
                .isEqualTo(ByteBuffer.allocate(8).putLong(258).array());
    }
}
