package dev.ferry.producer;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

/**
 * Watches the inbox and hands finished files to the sender. Watch events make new files show up quickly, and cost only
 * the entries they name (a folder moved in is walked, nothing else is): with 100,000 files waiting in the inbox, the
 * next one arriving is not a walk of all of them. A full rescan every {@code ferry.rescan-interval} catches what events
 * miss (network and overlay volumes lose them, and an event queue can overflow, which also asks for one). Files present
 * at start-up are found by the first scan.
 */
final class InboxWatcher implements Runnable {

    private static final Logger LOG = Logger.getLogger(InboxWatcher.class);

    private final InboxScanner scanner;
    private final CompletionTracker tracker;
    private final Consumer<FileState> onFinished;
    private final long rescanNanos;
    private final long tickMillis;
    private final Set<Path> watched = new HashSet<>();
    private volatile boolean running = true;
    private volatile boolean rescanRequested = true;
    /**
     * Entries named by watch events since the last round; bounded by the kernel's event queue, past which it overflows.
     */
    private final Set<Path> changed = new LinkedHashSet<>();
    private WatchService watchService;

    InboxWatcher(InboxScanner scanner, CompletionTracker tracker, Duration settle, Duration rescan,
            Consumer<FileState> onFinished) {
        this.scanner = scanner;
        this.tracker = tracker;
        this.onFinished = onFinished;
        this.rescanNanos = rescan.toNanos();
        // Settling files are re-checked a few times per settle period, so a file is sent soon after it settles.
        this.tickMillis = Math.max(50, Math.min(500, settle.toMillis() / 4));
    }

    @Override
    public void run() {
        try {
            watchService = scanner.inbox().getFileSystem().newWatchService();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warnf("No watch service for %s (%s); relying on rescans", scanner.inbox(), e.getMessage());
        }
        long lastScan = 0;
        while (running) {
            try {
                long now = System.nanoTime();
                List<FileState> finished;
                if (rescanRequested || now - lastScan >= rescanNanos) {
                    rescanRequested = false;
                    changed.clear();
                    lastScan = now;
                    finished = tracker.observe(scanner.scan(this::watch), true, now);
                } else {
                    finished = new ArrayList<>();
                    if (!changed.isEmpty()) {
                        // What it returns are files seen before that have settled by now: they must not be dropped.
                        finished.addAll(tracker.observe(scanner.scan(changed, this::watch), false, now));
                        changed.clear();
                    }
                    finished.addAll(tracker.recheck(scanner.inbox(), now));
                }
                finished.forEach(onFinished);
                waitForEvents();
            } catch (ClosedWatchServiceException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "Inbox watch failed; retrying");
                rescanRequested = true;
            }
        }
    }

    /** Asks for a full scan at the next tick, e.g. after a failed attempt was forgotten. */
    void requestRescan() {
        rescanRequested = true;
    }

    void stop() {
        running = false;
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                LOG.debug("Closing watch service", e);
            }
        }
    }

    private void waitForEvents() throws InterruptedException {
        if (watchService == null) {
            Thread.sleep(tickMillis);
            return;
        }
        WatchKey key = watchService.poll(tickMillis, TimeUnit.MILLISECONDS);
        while (key != null) {
            Path dir = (Path) key.watchable();
            for (WatchEvent<?> event : key.pollEvents()) {
                if (event.kind() == OVERFLOW || !(event.context() instanceof Path name)) {
                    rescanRequested = true; // events were lost: only a walk knows what changed
                } else if (event.kind() != ENTRY_DELETE) {
                    changed.add(dir.resolve(name)); // a deleted entry is noticed by the tracker's recheck
                }
            }
            if (!key.reset()) {
                watched.remove(dir);
            }
            key = watchService.poll();
        }
    }

    private void watch(Path dir) {
        if (watchService == null || watched.contains(dir)) {
            return;
        }
        try {
            dir.register(watchService, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE);
            watched.add(dir);
        } catch (IOException e) {
            LOG.debugf("Cannot watch %s: %s", dir, e.getMessage());
        }
    }
}
