package dev.ferry.bench;

import java.util.Random;

import dev.ferry.chunk.Hashing;

/**
 * How fast this machine's cores are right now: SHA-256 over 32 MiB in memory on one thread, taken while Ferry and the
 * raw pipe are idle, just before each measured phase. The benchmark's VM shares its host: on the same code the CPU
 * seconds per GiB of all three processes rose and fell together by up to two times within minutes (2026-12-02), so a
 * figure, and a ratio between runs minutes apart, is read next to the probe taken with it.
 */
final class CpuProbe {

    private static final byte[] DATA = new byte[32 << 20];

    static {
        new Random(17).nextBytes(DATA);
        // Until C2 has compiled the digest's block loop (and its SHA intrinsic): without these passes the first probe
        // of a run read 259 MB/s and the next 1490 (2026-12-02 22:36), the broker starting beside it.
        for (int pass = 0; pass < 6; pass++) {
            Hashing.sha256().update(DATA);
        }
    }

    private CpuProbe() {
    }

    /** MB/s of SHA-256, the best of three passes. */
    static double sha256MbPerSecond() {
        double best = 0;
        for (int pass = 0; pass < 3; pass++) {
            long started = System.nanoTime();
            Hashing.sha256().update(DATA);
            best = Math.max(best, DATA.length / 1e6 / ((System.nanoTime() - started) / 1e9));
        }
        return best;
    }
}
