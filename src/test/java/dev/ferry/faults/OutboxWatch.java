package dev.ferry.faults;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Looks at the outbox and the inbox every few milliseconds while a scenario runs, and records what must never be seen:
 * a file in the outbox with a name nothing sent (a second copy, a temporary file) or a size other than the file's (a
 * partial file), and a source gone from the inbox before its file is in the outbox (source policy before delivery).
 * Sampling cannot prove absence, but it runs through every fault of every run.
 */
final class OutboxWatch implements AutoCloseable {

    private final Path inbox;
    private final Path outbox;
    private final Map<String, Long> sizes;
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Set<String> seenInInbox = new HashSet<>();
    private final Set<String> ignored = new HashSet<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long samples;

    OutboxWatch(Path inbox, Path outbox, Map<String, Long> sizes) {
        this.inbox = inbox;
        this.outbox = outbox;
        this.sizes = sizes;
        this.thread = new Thread(this::run, "outbox-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            try {
                sample();
                samples++;
                Thread.sleep(20); // a sampling period, not a wait for a condition
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // folders changing under the walk: next sample
            }
        }
    }

    private void sample() throws IOException {
        Set<String> inInbox = list(inbox, null);
        Set<String> inOutbox = list(outbox, outbox.resolve(".ferry"));
        for (String path : inOutbox) {
            Long size = sizes.get(path);
            if (size == null) {
                violation("unexpected file in the outbox: " + path);
                continue;
            }
            long actual = sizeOf(outbox.resolve(path));
            if (actual >= 0 && actual != size) {
                violation("partial file visible in the outbox: " + path + " " + actual + " of " + size + " bytes");
            }
        }
        synchronized (seenInInbox) {
            for (String path : inInbox) {
                if (sizes.containsKey(path) && !ignored.contains(path)) {
                    seenInInbox.add(path);
                }
            }
            for (String path : seenInInbox) {
                if (!inInbox.contains(path) && !Files.exists(inbox.resolve(path))
                        && !Files.exists(outbox.resolve(path))) {
                    violation("source of " + path + " deleted before the file was in the outbox");
                }
            }
        }
    }

    private void violation(String what) {
        if (!violations.contains(what)) {
            violations.add(what);
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    private static Set<String> list(Path dir, Path skip) throws IOException {
        Set<String> files = new HashSet<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                return d.equals(skip) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    files.add(dir.relativize(file).toString());
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        return files;
    }

    /** Stops watching {@code path}: a test took the delivered file away on purpose (a downstream reader). */
    void ignore(String path) {
        synchronized (seenInInbox) {
            seenInInbox.remove(path);
            ignored.add(path);
        }
    }

    List<String> violations() {
        return List.copyOf(violations);
    }

    long samples() {
        return samples;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5_000);
    }
}
