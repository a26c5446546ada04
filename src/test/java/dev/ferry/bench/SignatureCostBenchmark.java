package dev.ferry.bench;

import java.util.List;
import java.util.Optional;
import java.util.Random;

import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.ChunkCompression;
import dev.ferry.chunk.Hashing;
import dev.ferry.chunk.WireFormat;
import dev.ferry.trust.KeyRing;
import dev.ferry.trust.SealingKey;
import dev.ferry.trust.SigningKey;
import dev.ferry.trust.TrustedKeys;

/**
 * What signatures add per chunk, on one core, against what each side already spends on a chunk without them (the CRC32C
 * every record carries and the file's running SHA-256): signing on the producer (SHA-256 of the chunk plus an Ed25519
 * signature), checking on the consumer (the same hash plus a verification). Run with {@code bench/signatures.sh}; it
 * prints microseconds per chunk and the MB/s one core could sign or check at. Not a test: figures only.
 */
public final class SignatureCostBenchmark {

    private SignatureCostBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        SigningKey key = SigningKey.generate();
        TrustedKeys trusted = TrustedKeys.of(List.of(key.publicKey()));
        System.out.printf("%-10s %14s %14s %14s %16s %16s%n", "chunk", "baseline us", "sign us", "verify us",
                "sign MB/s/core", "verify MB/s/core");
        for (int size : new int[] { 4 * 1024, 64 * 1024, 512 * 1024, 4 * 1024 * 1024 }) {
            Chunk chunk = chunkOf(size);
            int rounds = (int) Math.max(200, (256L << 20) / size);
            double baseline = 0;
            double sign = 0;
            double verify = 0;
            for (int pass = 0; pass < 3; pass++) { // the first passes warm the JIT up; the last one counts
                baseline = time(rounds, () -> {
                    WireFormat.crc32c(chunk.data());
                    Hashing.sha256().update(chunk.data());
                });
                byte[][] signature = new byte[1][];
                sign = time(rounds, () -> signature[0] = key.sign(WireFormat.signedBytes(chunk, "t", key.keyId())));
                verify = time(rounds, () -> {
                    if (trusted.verify(key.keyId(), WireFormat.signedBytes(chunk, "t", key.keyId()),
                            signature[0]) != TrustedKeys.Verdict.VALID) {
                        throw new AssertionError("signature does not verify");
                    }
                });
            }
            System.out.printf("%-10s %14.1f %14.1f %14.1f %16.0f %16.0f%n", size / 1024 + " KiB", baseline, sign,
                    verify, size / sign, size / verify);
        }
        sealing();
    }

    /**
     * Sealing (AES-256-GCM, end-to-end encryption) per chunk through the wire format, against encoding it plain: the
     * producer's seal and the consumer's open, on one core.
     */
    static void sealing() throws Exception {
        KeyRing producer = new KeyRing();
        SealingKey route = SealingKey.generate();
        producer.useSealing(Optional.of(route), List.of());
        KeyRing consumer = new KeyRing();
        consumer.useSealing(Optional.empty(), List.of(route));
        System.out.printf("%n%-10s %14s %14s %14s %16s%n", "chunk", "plain us", "seal us", "open us", "seal+open MB/s");
        for (int size : new int[] { 4 * 1024, 64 * 1024, 512 * 1024, 4 * 1024 * 1024 }) {
            Chunk chunk = chunkOf(size);
            int rounds = (int) Math.max(200, (256L << 20) / size);
            double plain = 0;
            double seal = 0;
            double open = 0;
            for (int pass = 0; pass < 3; pass++) {
                plain = time(rounds, () -> WireFormat.encode(chunk, ChunkCompression.NONE));
                WireFormat.Encoded[] sealed = new WireFormat.Encoded[1];
                seal = time(rounds, () -> sealed[0] = WireFormat.encode(chunk, ChunkCompression.NONE,
                        producer.sealerFor("t", chunk.transferId(), 0)));
                open = time(rounds, () -> {
                    try {
                        WireFormat.Signed s = WireFormat.decodeSigned(chunk.transferId(), sealed[0].headers(),
                                sealed[0].value());
                        WireFormat.open(s, consumer.openerFor("t", s));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            System.out.printf("%-10s %14.1f %14.1f %14.1f %16.0f%n", size / 1024 + " KiB", plain, seal, open,
                    size / (seal + open));
        }
    }

    /** Microseconds per call of {@code work}, averaged over {@code rounds}. */
    private static double time(int rounds, Runnable work) {
        long start = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            work.run();
        }
        return (System.nanoTime() - start) / 1e3 / rounds;
    }

    /** The second of three chunks of {@code size} random bytes, the same for every run. */
    private static Chunk chunkOf(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return new Chunk("0123456789abcdef0123456789abcdef", 0, "bench/file.bin", 1, 3, size, 3L * size, 0, 0644, data,
                null);
    }
}
