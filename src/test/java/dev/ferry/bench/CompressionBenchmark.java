package dev.ferry.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.ChunkCompression;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.WireFormat;

/**
 * Per-chunk compression on data nobody here wrote: the text of Debian's documentation packages on this machine
 * ({@code /usr/share/doc}, gzipped files unpacked), against random bytes. For each codec, in 512 KiB chunks through the
 * wire format: what the producer encodes per second (source MB/s), what the consumer decodes per second, and the bytes
 * on the wire against the source. Run with {@code bench/compression.sh}; not a test.
 */
public final class CompressionBenchmark {

    static final int CHUNK = 512 * 1024;
    static final int LIMIT = 64 << 20;

    private CompressionBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        byte[] docs = debianDocs(Path.of(args.length > 0 ? args[0] : "/usr/share/doc"));
        byte[] random = new byte[docs.length];
        new Random(1).nextBytes(random);
        System.out.printf("source: %.1f MiB of Debian documentation text, the same of random bytes; chunks of %d KiB%n",
                docs.length / 1048576.0, CHUNK / 1024);
        System.out.printf("%-7s %-6s %14s %14s %12s%n", "data", "codec", "encode MB/s", "decode MB/s", "wire/source");
        for (String name : List.of("docs", "random")) {
            byte[] data = name.equals("docs") ? docs : random;
            for (ChunkCompression c : ChunkCompression.values()) {
                double[] r = run(data, c);
                System.out.printf("%-7s %-6s %14.0f %14.0f %12.3f%n", name, c.name().toLowerCase(), r[0], r[1], r[2]);
            }
        }
    }

    /** encode MB/s, decode MB/s, wire bytes / source bytes; the best of three passes. */
    static double[] run(byte[] data, ChunkCompression compression) {
        double[] best = { 0, 0, 0 };
        int count = (data.length + CHUNK - 1) / CHUNK;
        for (int pass = 0; pass < 3; pass++) {
            long wire = 0;
            long encodeNanos = 0;
            long decodeNanos = 0;
            for (int i = 0; i < count; i++) {
                byte[] piece = Arrays.copyOfRange(data, i * CHUNK, Math.min(data.length, (i + 1) * CHUNK));
                Chunk chunk = new Chunk("0123456789abcdef0123456789abcdef", 0, "docs.bin", i, count, (long) i * CHUNK,
                        data.length, 0, 0644, piece, i == count - 1 ? new byte[32] : null);
                long t0 = System.nanoTime();
                WireFormat.Encoded e = WireFormat.encode(chunk, compression);
                long t1 = System.nanoTime();
                FerryRecord back;
                try {
                    back = WireFormat.decode(chunk.transferId(), e.headers(), e.value());
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
                long t2 = System.nanoTime();
                if (!Arrays.equals(((Chunk) back).data(), piece)) {
                    throw new IllegalStateException("round trip changed chunk " + i);
                }
                encodeNanos += t1 - t0;
                decodeNanos += t2 - t1;
                wire += e.value().length;
            }
            best[0] = Math.max(best[0], data.length / (encodeNanos / 1e3));
            best[1] = Math.max(best[1], data.length / (decodeNanos / 1e3));
            best[2] = (double) wire / data.length;
        }
        return best;
    }

    /** Up to 64 MiB of text from the documentation folder, in a fixed (sorted) order. */
    static byte[] debianDocs(Path root) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                if (out.size() >= LIMIT) {
                    break;
                }
                try (InputStream in = f.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(f))
                        : Files.newInputStream(f)) {
                    in.transferTo(out);
                } catch (IOException e) {
                    // unreadable or not gzip after all: skipped
                }
            }
        }
        return Arrays.copyOf(out.toByteArray(), Math.min(out.size(), LIMIT));
    }
}
