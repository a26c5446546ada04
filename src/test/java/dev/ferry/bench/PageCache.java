package dev.ferry.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Leaves this machine's memory as a node that has run for a while has it, full of page cache, before every run (before
 * its files are made, so the kernel drops the filler's pages before theirs, and never just before a timed phase): the
 * benchmark fills what is free with clean pages of a sparse file, which the kernel drops first when anything needs
 * memory.
 * <p>
 * Why: the benchmark's VM hands free memory back to its host ({@code page_reporting.page_reporting_order=11} on the
 * kernel command line), and a page taken from the free list is faulted in from the host again. Reading 4 GiB of a
 * sparse file into the page cache (no disk involved) cost 8.7 s of system time with the memory free and 0.4-0.9 s with
 * the page cache full, its pages recycled (2026-12-03). Every run writes new pages (the broker's log, Ferry's outbox
 * files), so without this a run's CPU depended on how much memory the runs before it had freed: in runs of 1000 files
 * of 1 MiB alternating with and without it, the consumer's lanes spent 2.08 against 0.39 s of system time per GiB and
 * the broker 4.7-5.4 against 2.4-2.5 CPU-s, and the warm-up rounds fell by half once the page cache had filled by
 * itself, at the sixth (docs/performance.md, "This VM's free memory"). On a real node the page cache is full within
 * minutes of a broker's start. {@code -Dbench.pageCache=false} measures with the memory as found.
 * <p>
 * Each fill reads a part of the filler never read before, as much as the kernel reports free, so it takes the free
 * memory (or, once the page cache is full, the filler's own older pages) and not the run's files, made after it; the
 * file grows as it is read (its holes take no disk).
 */
final class PageCache {

    /** Left free for the processes a run starts after the fill (the raw pipe's tools). */
    private static final long RESERVE = 512L << 20;

    /**
     * Passes at most: once the page cache is full the kernel recycles the filler's own older pages rather than take the
     * free ones (a later fill read 21 GiB in 2.8 s and the free memory did not fall), so more passes only churn.
     */
    private static final int MAX_PASSES = 2;

    private final Path filler;
    private final boolean enabled = !"false".equals(System.getProperty("bench.pageCache"));
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
    /** The filler's length: everything before it was read once. */
    private long end;

    /** An empty filler in {@code dir}. */
    PageCache(Path dir) throws IOException {
        this.filler = dir.resolve("page-cache-filler");
        if (enabled) {
            Files.createFile(filler);
        }
    }

    boolean enabled() {
        return enabled;
    }

    /** Reads new parts of the filler until the memory the kernel reports free is down to {@link #RESERVE}, or twice. */
    void fill() throws IOException {
        if (!enabled) {
            return;
        }
        long started = System.nanoTime();
        long freeBefore = memInfoBytes("MemFree");
        long read = 0;
        try (RandomAccessFile file = new RandomAccessFile(filler.toFile(), "rw")) {
            FileChannel channel = file.getChannel();
            long wanted;
            for (int pass = 0; pass < MAX_PASSES && (wanted = memInfoBytes("MemFree") - RESERVE) > 64L << 20; pass++) {
                file.setLength(end + wanted); // a hole: no disk block, read as zeros into new page-cache pages
                while (end < file.length()) {
                    buffer.clear();
                    int n = channel.read(buffer, end);
                    if (n <= 0) {
                        throw new IOException("The page-cache filler " + filler + " ended at " + end);
                    }
                    end += n;
                    read += n;
                }
            }
        }
        System.out.printf("page cache filled: %d MiB read in %.1f s, free memory %d -> %d MiB%n", read >> 20,
                (System.nanoTime() - started) / 1e9, freeBefore >> 20, memInfoBytes("MemFree") >> 20);
    }

    static long memInfoBytes(String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith(field + ":")).findFirst()
                .map(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024)
                .orElseThrow(() -> new IOException("No " + field + " in /proc/meminfo"));
    }
}
