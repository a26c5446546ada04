package dev.ferry.chunk;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * How a chunk's bytes may be compressed on the wire, by Ferry, per chunk: Kafka's own batch compression cannot shrink
 * what is encrypted, and a chunk compressed alone can be checked and decompressed alone. A chunk is only ever sent
 * compressed when that makes it smaller; {@link #AUTO} also leaves it raw when compressing saves less than a tenth, so
 * incompressible data (video, archives, random bytes) costs one quick attempt per chunk and nothing on the wire.
 */
public enum ChunkCompression {
    /** Sent as read. */
    NONE((byte) 0),
    /** Zstandard, level 3: the better ratio. */
    ZSTD((byte) 'Z'),
    /** LZ4: the faster codec. */
    LZ4((byte) 'L'),
    /** Zstandard at its fastest level, kept only where it saves at least a tenth. */
    AUTO((byte) 'Z');

    private static final LZ4Compressor LZ4_COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();
    /** The bounds-checked decompressor: the fast one trusts its input, and records are not to be trusted. */
    private static final LZ4SafeDecompressor LZ4_DECOMPRESSOR = LZ4Factory.fastestInstance().safeDecompressor();

    /** The codec byte in the {@code ferry-compression} header. */
    final byte codec;

    ChunkCompression(byte codec) {
        this.codec = codec;
    }

    /**
     * The bytes to send for {@code data}: compressed, or null if it is to be sent raw (compression off, or it does not
     * pay).
     */
    byte[] compress(byte[] data) {
        if (this == NONE || data.length == 0) {
            return null;
        }
        byte[] packed = switch (this) {
            case LZ4 -> LZ4_COMPRESSOR.compress(data);
            case AUTO -> Zstd.compress(data, 1);
            default -> Zstd.compress(data, 3);
        };
        long worthIt = this == AUTO ? data.length - data.length / 10L : data.length - 1L;
        return packed.length <= worthIt ? packed : null;
    }

    /**
     * Decompresses a chunk that claims {@code rawLength} bytes (checked against the chunk limits before this is
     * called); anything but exactly that many bytes, or a codec not known, is the record's fault.
     */
    static byte[] decompress(byte codec, byte[] value, int rawLength) throws InvalidRecordException {
        try {
            if (codec == ZSTD.codec) {
                long claimed = Zstd.getFrameContentSize(value);
                if (claimed != rawLength) {
                    throw new InvalidRecordException(
                            "compressed chunk holds " + claimed + " bytes, its header claims " + rawLength);
                }
                byte[] out = new byte[rawLength];
                long n = Zstd.decompress(out, value);
                if (Zstd.isError(n) || n != rawLength) {
                    throw new InvalidRecordException("compressed chunk does not decompress to " + rawLength + " bytes: "
                            + (Zstd.isError(n) ? Zstd.getErrorName(n) : n + " bytes"));
                }
                return out;
            }
            if (codec == LZ4.codec) {
                byte[] out = new byte[rawLength];
                int written = LZ4_DECOMPRESSOR.decompress(value, 0, value.length, out, 0, rawLength);
                if (written != rawLength) {
                    throw new InvalidRecordException(
                            "compressed chunk decompresses to " + written + " bytes, its header claims " + rawLength);
                }
                return out;
            }
        } catch (LZ4Exception | ZstdException e) {
            throw new InvalidRecordException("compressed chunk is corrupt: " + e.getMessage());
        }
        throw new InvalidRecordException("unknown " + WireFormat.COMPRESSION_HEADER + " '" + (char) codec + "'");
    }
}
