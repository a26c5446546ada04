package dev.ferry.chunk;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Ferry's wire format, version 2: how a {@link FerryRecord} is laid out in a Kafka record. This class is the only place
 * that knows it; {@code docs/wire-format.md} explains it for people writing other clients.
 *
 * <pre>
 * key    transfer id, UTF-8: 32 lower-case hex digits. All records of a transfer share it, so they land in one
 *        partition, in order, while different files spread over partitions.
 * value  the chunk's bytes, raw (no encoding, no envelope). Empty for an abort and for an empty file.
 *
 * headers (integers big-endian, strings UTF-8)        on
 *   ferry-version   1 byte   format version, 2 (1 is still read)  every record; checked first
 *   ferry-kind      1 byte   'C' chunk, 'A' abort         every record
 *   ferry-transfer  string   transfer id, equal to the key  every record (survives re-keying by mirror tools)
 *   ferry-attempt   4 bytes  attempt number, &gt;= 0        every record
 *   ferry-path      string   relative path, see RelativePaths   every record
 *   ferry-index     4 bytes  chunk index, 0-based         chunks
 *   ferry-count     4 bytes  chunk count, &gt;= 1            chunks
 *   ferry-offset    8 bytes  byte offset of the value     chunks
 *   ferry-size      8 bytes  total file size              chunks
 *   ferry-mtime     8 bytes  source mtime, epoch millis   chunks
 *   ferry-mode      4 bytes  POSIX permission bits, or -1 chunks
 *   ferry-crc32c    4 bytes  CRC32C of the value          chunks
 *   ferry-sha256    32 bytes SHA-256 of the whole file    last chunk only (index == count - 1)
 *   ferry-reason    string   why the attempt ended        aborts
 *   ferry-compression 1 byte 'Z' zstd, 'L' lz4 ({@link ChunkCompression}); the value is compressed  compressed chunks
 *   ferry-raw-length 4 bytes the chunk's length before compression, at most 16 MiB   compressed chunks
 *   ferry-key       string   key id of the signer (16 hex)   signed records (version 2)
 *   ferry-signature 64 bytes Ed25519 signature of {@link #signedBytes}  signed records (version 2)
 * </pre>
 *
 * A signature covers everything the record says and the topic it was written to, so a signed record cannot be altered,
 * replayed onto another route's topic, or passed off with a higher attempt: for a chunk the topic, transfer id,
 * attempt, path, index, count, offset, size, mtime, mode, key id, the SHA-256 of the value and (last chunk) the file's
 * SHA-256; for an abort the topic, transfer id, attempt, path, key id and reason. Version 1 is version 2 without
 * signatures. On a compressed chunk the CRC covers the value as sent, the signature the bytes after decompression, and
 * offset, size and the chunk grid the uncompressed length. A decoder rejects a record whose version it does not know
 * before reading anything else, so a future version can change every other header. Unknown extra headers are ignored,
 * so optional metadata can be added within a version.
 */
public final class WireFormat {

    public static final byte VERSION = 2;

    /** The version before signatures, still read (and refused where signatures are required). */
    public static final byte VERSION_UNSIGNED = 1;

    public static final String VERSION_HEADER = "ferry-version";
    public static final String KIND_HEADER = "ferry-kind";
    public static final String TRANSFER_HEADER = "ferry-transfer";
    public static final String ATTEMPT_HEADER = "ferry-attempt";
    public static final String PATH_HEADER = "ferry-path";
    public static final String INDEX_HEADER = "ferry-index";
    public static final String COUNT_HEADER = "ferry-count";
    public static final String OFFSET_HEADER = "ferry-offset";
    public static final String SIZE_HEADER = "ferry-size";
    public static final String MTIME_HEADER = "ferry-mtime";
    public static final String MODE_HEADER = "ferry-mode";
    public static final String CRC_HEADER = "ferry-crc32c";
    public static final String SHA256_HEADER = "ferry-sha256";
    public static final String REASON_HEADER = "ferry-reason";
    public static final String COMPRESSION_HEADER = "ferry-compression";
    public static final String RAW_LENGTH_HEADER = "ferry-raw-length";
    public static final String SEALING_KEY_HEADER = "ferry-sealing-key";
    public static final String WRAPPED_KEY_HEADER = "ferry-wrapped-key";
    public static final String SEALED_PATH_HEADER = "ferry-sealed-path";
    public static final String SEALED_SHA256_HEADER = "ferry-sealed-sha256";
    public static final String SEALED_REASON_HEADER = "ferry-sealed-reason";
    /** What a sealed record shows in {@code ferry-path}: nothing of the real one. */
    public static final String SEALED_PATH = "sealed";
    /** Bytes GCM adds to a sealed value. */
    public static final int SEAL_TAG_BYTES = 16;
    public static final String KEY_HEADER = "ferry-key";
    public static final String SIGNATURE_HEADER = "ferry-signature";

    /** Bytes of an Ed25519 signature. */
    public static final int SIGNATURE_BYTES = 64;

    static final byte KIND_CHUNK = 'C';
    static final byte KIND_ABORT = 'A';

    /** The smallest chunk a producer may cut (except a file's last chunk); {@code ferry.chunk-size} cannot go below. */
    public static final int MIN_CHUNK_BYTES = 1024;

    /** The largest chunk a producer may cut ({@code ferry.chunk-size}, a route's chunk size). */
    public static final int MAX_CHUNK_BYTES = 16 * 1024 * 1024;

    /** Longest key id read: ids are 16 hex digits, anything much longer is not one. */
    static final int MAX_KEY_ID_BYTES = 64;

    /** Longest abort reason kept on the wire; longer ones are cut. */
    static final int MAX_REASON_BYTES = 1024;

    /**
     * Bytes a record needs beyond its chunk: the key, every header at its largest (a 4 KiB path, a 1 KiB reason) and
     * Kafka's per-record and per-batch framing (a 61-byte batch header plus varints), with room to spare. The topic's
     * {@code max.message.bytes} and the producer's {@code max.request.size} are set to chunk size plus this, so a valid
     * chunk can never be refused as too large. A test encodes the worst case and checks it fits.
     */
    public static final int RECORD_HEADROOM = 8 * 1024;

    private static final Pattern TRANSFER_ID = Pattern.compile("[0-9a-f]{32}");

    private WireFormat() {
    }

    /** Kafka record size limit needed for chunks of {@code chunkSize} bytes. */
    public static int maxRecordBytes(int chunkSize) {
        return chunkSize + RECORD_HEADROOM;
    }

    public static boolean isTransferId(String s) {
        return s != null && TRANSFER_ID.matcher(s).matches();
    }

    public static Headers headersOf(FerryRecord record) {
        return headersOf(record, record instanceof Chunk c ? c.data() : null);
    }

    /**
     * A record ready to send: its headers (without a signature) and its value.
     *
     * @param record
     *            the record as it was given (plaintext)
     * @param sealed
     *            its sealed parts, if it was sealed; what a signature must cover then
     *            ({@link #signedBytes(Encoded, String, String)})
     */
    public record Encoded(Headers headers, byte[] value, FerryRecord record, SealedParts sealed) {
    }

    /**
     * What a sealed record carries besides its sealed value: the envelope (route key id, wrapped data key), the sealed
     * path, the sealed file hash (last chunk) or reason (abort), and how the value was compressed before it was sealed.
     */
    public record SealedParts(Sealing.Envelope envelope, byte[] path, byte[] fileSha256, byte[] reason, byte codec,
            int rawLength) {
    }

    /** What binds a sealed part to its record: transfer, attempt and (chunks) the chunk's place in the file. */
    public static byte[] sealedAad(FerryRecord record) {
        SignedBytes b = new SignedBytes().text("ferry-sealed-aad-v1").text(record.transferId()).i32(record.attempt());
        if (record instanceof Chunk c) {
            b.i32(c.index()).i32(c.count()).i64(c.offset()).i64(c.size());
        }
        return b.toByteArray();
    }

    /**
     * Encodes {@code record}, its chunk compressed with {@code compression} when that makes it smaller
     * ({@link ChunkCompression#compress}).
     */
    public static Encoded encode(FerryRecord record, ChunkCompression compression) {
        return encode(record, compression, null);
    }

    /**
     * Encodes {@code record}, compressed (when that makes it smaller) and then, if {@code sealer} is given, sealed:
     * nothing readable of the file (bytes, path, hash, abort reason) is left in the record, only sizes, offsets and
     * times.
     */
    public static Encoded encode(FerryRecord record, ChunkCompression compression, Sealing.Sealer sealer) {
        if (!(record instanceof Chunk c)) {
            if (sealer == null) {
                return new Encoded(headersOf(record), valueOf(record), record, null);
            }
            Abort a = (Abort) record;
            byte[] aad = sealedAad(a);
            SealedParts parts = new SealedParts(sealer.envelope(),
                    sealer.seal(Sealing.PATH, 0, aad, a.path().getBytes(StandardCharsets.UTF_8)), null,
                    sealer.seal(Sealing.REASON, 0, aad,
                            truncate(a.reason().getBytes(StandardCharsets.UTF_8), MAX_REASON_BYTES)),
                    (byte) 0, 0);
            Headers h = headersOf(new Abort(a.transferId(), a.attempt(), SEALED_PATH, SEALED_PATH), null);
            addSealed(h, parts);
            return new Encoded(h, new byte[0], record, parts);
        }
        byte[] packed = compression.compress(c.data());
        byte[] value = packed == null ? c.data() : packed;
        if (sealer == null) {
            Headers h = headersOf(record, value);
            if (packed != null) {
                h.add(COMPRESSION_HEADER, new byte[] { compression.codec });
                h.add(RAW_LENGTH_HEADER, intBytes(c.data().length));
            }
            return new Encoded(h, value, record, null);
        }
        byte[] aad = sealedAad(c);
        byte[] sealedValue = sealer.seal(Sealing.CHUNK, c.index(), aad, value);
        SealedParts parts = new SealedParts(sealer.envelope(),
                sealer.seal(Sealing.PATH, c.index(), aad, c.path().getBytes(StandardCharsets.UTF_8)),
                c.sha256() == null ? null : sealer.seal(Sealing.FILE_SHA256, c.index(), aad, c.sha256()), null,
                packed == null ? 0 : compression.codec, c.data().length);
        Chunk sealedForm = new Chunk(c.transferId(), c.attempt(), SEALED_PATH, c.index(), c.count(), c.offset(),
                c.size(), c.modifiedMillis(), c.mode(), sealedValue, null);
        Headers h = headersOf(sealedForm, sealedValue);
        h.add(RAW_LENGTH_HEADER, intBytes(c.data().length));
        if (packed != null) {
            h.add(COMPRESSION_HEADER, new byte[] { compression.codec });
        }
        addSealed(h, parts);
        return new Encoded(h, sealedValue, record, parts);
    }

    private static void addSealed(Headers h, SealedParts parts) {
        h.add(SEALING_KEY_HEADER, parts.envelope().sealingKeyId().getBytes(StandardCharsets.US_ASCII));
        h.add(WRAPPED_KEY_HEADER, parts.envelope().wrappedKey());
        h.add(SEALED_PATH_HEADER, parts.path());
        if (parts.fileSha256() != null) {
            h.add(SEALED_SHA256_HEADER, parts.fileSha256());
        }
        if (parts.reason() != null) {
            h.add(SEALED_REASON_HEADER, parts.reason());
        }
    }

    /**
     * What a signature of an encoded record covers: for a plain record
     * {@link #signedBytes(FerryRecord, String, String)}; for a sealed one its sealed form, so a consumer can check it
     * before it has (or uses) the key to open it.
     */
    public static byte[] signedBytes(Encoded encoded, String topic, String keyId) {
        return encoded.sealed() == null ? signedBytes(encoded.record(), topic, keyId)
                : sealedSignedBytes(encoded.headers(), encoded.value(), encoded.record().transferId(), topic, keyId);
    }

    /** What the signature of a decoded record covers (see {@link #signedBytes(Encoded, String, String)}). */
    public static byte[] signedBytes(Signed signed, String topic) {
        return signed.sealed() == null ? signedBytes(signed.record(), topic, signed.keyId())
                : sealedSignedBytes(signed.headers(), signed.value(), signed.record().transferId(), topic,
                        signed.keyId());
    }

    private static byte[] sealedSignedBytes(Headers headers, byte[] value, String transferId, String topic,
            String keyId) {
        SignedBytes b = new SignedBytes().text("ferry-sealed-v2").text(topic).text(transferId).text(keyId);
        // Every header as sent but the signature's own, in order, and the value's hash.
        for (Header h : headers) {
            if (!h.key().equals(KEY_HEADER) && !h.key().equals(SIGNATURE_HEADER)) {
                b.text(h.key()).bytes(h.value() == null ? new byte[0] : h.value());
            }
        }
        return b.bytes(Hashing.sha256(value)).toByteArray();
    }

    /** The headers of {@code record} whose value on the wire is {@code value} (what the CRC covers). */
    private static Headers headersOf(FerryRecord record, byte[] value) {
        RecordHeaders h = new RecordHeaders();
        h.add(VERSION_HEADER, new byte[] { VERSION });
        h.add(TRANSFER_HEADER, record.transferId().getBytes(StandardCharsets.UTF_8));
        if (record instanceof Chunk c) {
            h.add(KIND_HEADER, new byte[] { KIND_CHUNK });
            h.add(ATTEMPT_HEADER, intBytes(c.attempt()));
            h.add(PATH_HEADER, c.path().getBytes(StandardCharsets.UTF_8));
            h.add(INDEX_HEADER, intBytes(c.index()));
            h.add(COUNT_HEADER, intBytes(c.count()));
            h.add(OFFSET_HEADER, longBytes(c.offset()));
            h.add(SIZE_HEADER, longBytes(c.size()));
            h.add(MTIME_HEADER, longBytes(c.modifiedMillis()));
            h.add(MODE_HEADER, intBytes(c.mode()));
            h.add(CRC_HEADER, intBytes(crc32c(value)));
            if (c.sha256() != null) {
                h.add(SHA256_HEADER, c.sha256());
            }
        } else if (record instanceof Abort a) {
            h.add(KIND_HEADER, new byte[] { KIND_ABORT });
            h.add(ATTEMPT_HEADER, intBytes(a.attempt()));
            h.add(PATH_HEADER, a.path().getBytes(StandardCharsets.UTF_8));
            h.add(REASON_HEADER, truncate(a.reason().getBytes(StandardCharsets.UTF_8), MAX_REASON_BYTES));
        }
        return h;
    }

    /** The headers of a record signed by {@code keyId} with {@code signature} over {@link #signedBytes}. */
    public static Headers headersOf(FerryRecord record, String keyId, byte[] signature) {
        Headers h = headersOf(record);
        h.add(KEY_HEADER, keyId.getBytes(StandardCharsets.UTF_8));
        h.add(SIGNATURE_HEADER, signature);
        return h;
    }

    /**
     * What a signature of {@code record} covers, written to {@code topic} and signed by {@code keyId}: a domain tag,
     * then every field length-prefixed, so no two different records have the same bytes. The chunk's value enters as
     * its SHA-256.
     */
    public static byte[] signedBytes(FerryRecord record, String topic, String keyId) {
        SignedBytes b = new SignedBytes();
        if (record instanceof Chunk c) {
            b.text("ferry-chunk-v2").text(topic).text(c.transferId()).i32(c.attempt()).text(c.path()).i32(c.index())
                    .i32(c.count()).i64(c.offset()).i64(c.size()).i64(c.modifiedMillis()).i32(c.mode()).text(keyId)
                    .bytes(Hashing.sha256(c.data())).bytes(c.sha256() == null ? new byte[0] : c.sha256());
        } else if (record instanceof Abort a) {
            b.text("ferry-abort-v2").text(topic).text(a.transferId()).i32(a.attempt()).text(a.path()).text(keyId)
                    .text(new String(truncate(a.reason().getBytes(StandardCharsets.UTF_8), MAX_REASON_BYTES),
                            StandardCharsets.UTF_8));
        } else {
            throw new IllegalArgumentException("not a Ferry record: " + record);
        }
        return b.toByteArray();
    }

    /**
     * A decoded record and its signature, if it carries one.
     *
     * @param keyId
     *            the signer's key id; null if unsigned
     * @param signature
     *            null if unsigned
     */
    public record Signed(FerryRecord record, String keyId, byte[] signature, Headers headers, byte[] value,
            SealedParts sealed) {

        public boolean isSigned() {
            return signature != null;
        }

        /** Sealed: {@link #record} is its sealed form (no path, no bytes) until {@link WireFormat#open}. */
        public boolean isSealed() {
            return sealed != null;
        }
    }

    /**
     * The plaintext record of a sealed one, opened with {@code opener}; its path is checked like any path (a refusal
     * never quotes it: the reason may be written where the path must not go).
     *
     * @throws InvalidRecordException
     *             a part does not open (forged, altered, moved) or what it holds breaks a rule
     */
    public static FerryRecord open(Signed signed, Sealing.Opener opener) throws InvalidRecordException {
        SealedParts parts = signed.sealed();
        FerryRecord form = signed.record();
        byte[] aad = sealedAad(form);
        long counter = form instanceof Chunk c ? c.index() : 0;
        String path;
        try {
            path = RelativePaths.decode(opener.open(Sealing.PATH, counter, aad, parts.path()), "sealed path");
        } catch (InvalidRecordException e) {
            String m = e.getMessage();
            int quoted = m.indexOf(": \"");
            throw new InvalidRecordException(quoted < 0 ? m : m.substring(0, quoted));
        }
        if (form instanceof Abort a) {
            byte[] reason = opener.open(Sealing.REASON, 0, aad, parts.reason());
            return new Abort(a.transferId(), a.attempt(), path,
                    new String(truncate(reason, MAX_REASON_BYTES), StandardCharsets.UTF_8));
        }
        Chunk c = (Chunk) form;
        byte[] data = opener.open(Sealing.CHUNK, c.index(), aad, c.data());
        if (parts.codec() != 0) {
            data = ChunkCompression.decompress(parts.codec(), data, parts.rawLength());
        } else if (data.length != parts.rawLength()) {
            throw new InvalidRecordException("sealed chunk holds " + data.length + " bytes, " + RAW_LENGTH_HEADER
                    + " says " + parts.rawLength());
        }
        byte[] sha256 = null;
        if (c.isLast()) {
            sha256 = opener.open(Sealing.FILE_SHA256, c.index(), aad, parts.fileSha256());
            if (sha256.length != 32) {
                throw new InvalidRecordException("sealed file hash holds " + sha256.length + " bytes, not 32");
            }
        }
        return new Chunk(c.transferId(), c.attempt(), path, c.index(), c.count(), c.offset(), c.size(),
                c.modifiedMillis(), c.mode(), data, sha256);
    }

    public static byte[] valueOf(FerryRecord record) {
        return record instanceof Chunk c ? c.data() : new byte[0];
    }

    /**
     * Reads a Kafka record as a Ferry record, checking everything a consumer relies on before it touches a disk.
     *
     * @throws InvalidRecordException
     *             naming the header or rule that failed
     */
    public static FerryRecord decode(String key, Headers headers, byte[] value) throws InvalidRecordException {
        return decodeSigned(key, headers, value).record();
    }

    /**
     * Like {@link #decode}, and returns the record's signature (not checked here: that needs keys, see
     * {@code dev.ferry.trust}).
     */
    public static Signed decodeSigned(String key, Headers headers, byte[] value) throws InvalidRecordException {
        if (headers == null) {
            throw new InvalidRecordException("record has no headers; not a Ferry record");
        }
        byte[] version = required(headers, VERSION_HEADER, 1);
        if (version[0] != VERSION && version[0] != VERSION_UNSIGNED) {
            throw new InvalidRecordException("unknown " + VERSION_HEADER + " " + (version[0] & 0xff)
                    + "; this consumer reads versions " + VERSION_UNSIGNED + " and " + VERSION);
        }
        FerryRecord record = decodeFields(key, headers, value);
        SealedParts sealed = headers.lastHeader(SEALING_KEY_HEADER) == null ? null : sealedParts(headers, record);
        byte[] wire = value == null ? new byte[0] : value;
        Header keyId = headers.lastHeader(KEY_HEADER);
        Header signature = headers.lastHeader(SIGNATURE_HEADER);
        if (version[0] == VERSION_UNSIGNED || keyId == null && signature == null) {
            return new Signed(record, null, null, headers, wire, sealed);
        }
        String id = keyId == null ? null : keyIdOf(keyId.value());
        if (id == null) {
            throw new InvalidRecordException("a signed record needs a " + KEY_HEADER + " of 1 to " + MAX_KEY_ID_BYTES
                    + " lower-case hex digits");
        }
        byte[] sig = required(headers, SIGNATURE_HEADER, SIGNATURE_BYTES);
        return new Signed(record, id, sig, headers, wire, sealed);
    }

    private static SealedParts sealedParts(Headers headers, FerryRecord form) throws InvalidRecordException {
        String keyId = keyIdOf(required(headers, SEALING_KEY_HEADER, -1));
        if (keyId == null) {
            throw new InvalidRecordException(SEALING_KEY_HEADER + " must be 1 to " + MAX_KEY_ID_BYTES + " hex digits");
        }
        byte[] wrapped = required(headers, WRAPPED_KEY_HEADER, -1);
        byte[] path = required(headers, SEALED_PATH_HEADER, -1);
        if (wrapped.length > 256 || path.length > RelativePaths.MAX_BYTES + SEAL_TAG_BYTES) {
            throw new InvalidRecordException("sealed headers larger than any producer writes");
        }
        if (form instanceof Abort) {
            return new SealedParts(new Sealing.Envelope(keyId, wrapped), path, null,
                    truncate(required(headers, SEALED_REASON_HEADER, -1), MAX_REASON_BYTES + SEAL_TAG_BYTES), (byte) 0,
                    0);
        }
        Chunk c = (Chunk) form;
        Header compression = headers.lastHeader(COMPRESSION_HEADER);
        byte codec = compression == null ? 0 : required(headers, COMPRESSION_HEADER, 1)[0];
        byte[] fileSha = c.isLast() ? required(headers, SEALED_SHA256_HEADER, 32 + SEAL_TAG_BYTES) : null;
        return new SealedParts(new Sealing.Envelope(keyId, wrapped), path, fileSha, null, codec,
                intHeader(headers, RAW_LENGTH_HEADER));
    }

    /** A key id header's value as text, if it is one (1 to 64 lower-case hex digits); null otherwise. */
    public static String keyIdOf(byte[] value) {
        if (value == null || value.length == 0 || value.length > MAX_KEY_ID_BYTES) {
            return null;
        }
        for (byte b : value) {
            if (!(b >= '0' && b <= '9' || b >= 'a' && b <= 'f')) {
                return null;
            }
        }
        return new String(value, StandardCharsets.US_ASCII);
    }

    private static FerryRecord decodeFields(String key, Headers headers, byte[] value) throws InvalidRecordException {
        if (!isTransferId(key)) {
            throw new InvalidRecordException("record key must be a transfer id (32 hex digits), was "
                    + (key == null ? "null" : RelativePaths.printable(key)));
        }
        String transfer = new String(required(headers, TRANSFER_HEADER, -1), StandardCharsets.UTF_8);
        if (!transfer.equals(key)) {
            throw new InvalidRecordException(
                    TRANSFER_HEADER + " " + RelativePaths.printable(transfer) + " differs from the record key " + key);
        }
        byte kind = required(headers, KIND_HEADER, 1)[0];
        int attempt = intHeader(headers, ATTEMPT_HEADER);
        if (attempt < 0) {
            throw new InvalidRecordException(ATTEMPT_HEADER + " must be >= 0, was " + attempt);
        }
        String path = RelativePaths.decode(required(headers, PATH_HEADER, -1), PATH_HEADER);
        byte[] data = value == null ? new byte[0] : value;
        switch (kind) {
            case KIND_ABORT:
                // Cut like the producer cuts it: a reason is shown and logged, never a way to fill the heap.
                return new Abort(key, attempt, path, new String(
                        truncate(required(headers, REASON_HEADER, -1), MAX_REASON_BYTES), StandardCharsets.UTF_8));
            case KIND_CHUNK:
                return decodeChunk(key, attempt, path, headers, data);
            default:
                throw new InvalidRecordException("unknown " + KIND_HEADER + " '" + (char) kind + "'");
        }
    }

    private static Chunk decodeChunk(String key, int attempt, String path, Headers headers, byte[] data)
            throws InvalidRecordException {
        int index = intHeader(headers, INDEX_HEADER);
        int count = intHeader(headers, COUNT_HEADER);
        long offset = longHeader(headers, OFFSET_HEADER);
        long size = longHeader(headers, SIZE_HEADER);
        long mtime = longHeader(headers, MTIME_HEADER);
        int mode = intHeader(headers, MODE_HEADER);
        if (mode < -1 || mode > 07777) {
            throw new InvalidRecordException(MODE_HEADER + " " + mode + " is not a permission mode");
        }
        int storedCrc = intHeader(headers, CRC_HEADER);
        Header compression = headers.lastHeader(COMPRESSION_HEADER);
        boolean sealed = headers.lastHeader(SEALING_KEY_HEADER) != null;
        int length = data.length;
        if (compression != null || sealed) {
            length = intHeader(headers, RAW_LENGTH_HEADER);
            // Checked before anything is allocated for it: never more than the largest chunk a producer may cut.
            if (length < 0 || length > MAX_CHUNK_BYTES) {
                throw new InvalidRecordException(
                        RAW_LENGTH_HEADER + " " + length + " is outside 0 to " + MAX_CHUNK_BYTES);
            }
        }
        checkGeometry(index, count, offset, size, length);
        boolean last = index == count - 1;
        int computedCrc = crc32c(data);
        if (storedCrc != computedCrc) {
            throw new InvalidRecordException(String.format("%s mismatch: stored %08x, computed %08x over %d bytes",
                    CRC_HEADER, storedCrc, computedCrc, data.length));
        }
        if (sealed) {
            // The sealed form: opened (and decompressed) by open(), with the keys.
            if (!path.equals(SEALED_PATH)) {
                throw new InvalidRecordException("a sealed record shows " + PATH_HEADER + " " + SEALED_PATH);
            }
            return new Chunk(key, attempt, path, index, count, offset, size, mtime, mode, data, null);
        }
        if (compression != null) {
            if (compression.value() == null || compression.value().length != 1) {
                throw new InvalidRecordException("header " + COMPRESSION_HEADER + " must be 1 byte");
            }
            data = ChunkCompression.decompress(compression.value()[0], data, length);
        }
        byte[] sha256 = null;
        if (last) {
            sha256 = required(headers, SHA256_HEADER, 32);
        }
        return new Chunk(key, attempt, path, index, count, offset, size, mtime, mode, data, sha256);
    }

    /**
     * The chunk grid: every chunk but the last is exactly the transfer's chunk length (at least
     * {@link #MIN_CHUNK_BYTES}) at {@code index * length}; the count is what size and length give; the last chunk ends
     * at the size. All arithmetic is exact, so no claimed offset or size can overflow its way past a check, and a
     * consumer can trust that a transfer of {@code size} bytes has at most {@code size / MIN_CHUNK_BYTES + 1} chunks.
     */
    static void checkGeometry(int index, int count, long offset, long size, int length) throws InvalidRecordException {
        if (count < 1 || index < 0 || index >= count) {
            throw new InvalidRecordException(INDEX_HEADER + " " + index + " is outside " + COUNT_HEADER + " " + count);
        }
        // size - length cannot overflow once length <= size; offset + length could.
        boolean last = index == count - 1;
        if (size < 0 || offset < 0 || length > size || offset > size - length || last && offset != size - length) {
            throw new InvalidRecordException("chunk of " + length + " bytes at " + OFFSET_HEADER + " " + offset
                    + (last ? " does not end at " : " does not fit ") + SIZE_HEADER + " " + size);
        }
        if (size == 0 && count != 1) {
            throw new InvalidRecordException("an empty file has one chunk, " + COUNT_HEADER + " was " + count);
        }
        if (!last) {
            if (length < MIN_CHUNK_BYTES) {
                throw new InvalidRecordException("chunk " + index + " of " + count + " has " + length
                        + " bytes; every chunk but the last has at least " + MIN_CHUNK_BYTES);
            }
            long expectedCount = (size + length - 1) / length; // size >= length >= 1024: no overflow
            if (expectedCount != count || offset != (long) index * length) {
                throw new InvalidRecordException("chunk " + index + " of " + length + " bytes at " + OFFSET_HEADER + " "
                        + offset + " is not on the grid of a " + size + "-byte file in " + count + " chunks");
            }
        } else if (count > 1) {
            // The last chunk alone still pins the grid: offset = (count - 1) * length of the others.
            long others = offset / (count - 1);
            if (offset % (count - 1) != 0 || others < MIN_CHUNK_BYTES || length < 1 || length > others) {
                throw new InvalidRecordException("last chunk of " + length + " bytes at " + OFFSET_HEADER + " " + offset
                        + " is not on the grid of a " + size + "-byte file in " + count + " chunks");
            }
        }
    }

    public static int crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length);
        return (int) crc.getValue();
    }

    private static byte[] required(Headers headers, String name, int length) throws InvalidRecordException {
        Header header = headers.lastHeader(name);
        if (header == null || header.value() == null) {
            throw new InvalidRecordException("missing header " + name);
        }
        byte[] value = header.value();
        if (length >= 0 && value.length != length) {
            throw new InvalidRecordException("header " + name + " must be " + length + " bytes, was " + value.length);
        }
        return value;
    }

    private static int intHeader(Headers headers, String name) throws InvalidRecordException {
        return ByteBuffer.wrap(required(headers, name, Integer.BYTES)).getInt();
    }

    private static long longHeader(Headers headers, String name) throws InvalidRecordException {
        return ByteBuffer.wrap(required(headers, name, Long.BYTES)).getLong();
    }

    private static byte[] intBytes(int v) {
        return ByteBuffer.allocate(Integer.BYTES).putInt(v).array();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(Long.BYTES).putLong(v).array();
    }

    /** Length-prefixed fields in a fixed order: the canonical form signatures are computed over. */
    private static final class SignedBytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

        SignedBytes text(String s) {
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        SignedBytes bytes(byte[] b) {
            i32(b.length);
            out.writeBytes(b);
            return this;
        }

        SignedBytes i32(int v) {
            out.writeBytes(intBytes(v));
            return this;
        }

        SignedBytes i64(long v) {
            out.writeBytes(longBytes(v));
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    private static byte[] truncate(byte[] bytes, int max) {
        if (bytes.length <= max) {
            return bytes;
        }
        byte[] cut = new byte[max];
        System.arraycopy(bytes, 0, cut, 0, max);
        return cut;
    }
}
