package dev.ferry.route;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import dev.ferry.DaemonThreads;

/**
 * Watches the routes file's folder, not the file: a ConfigMap volume updates by swapping a {@code ..data} symlink
 * atomically, which no watch on the file itself sees (and a {@code subPath} mount never updates at all). Every event in
 * the folder, and a check every few seconds for volumes that send none, re-reads the file; only a changed text is
 * handed on.
 */
final class RoutesWatch implements Runnable {

    private static final Logger LOG = Logger.getLogger(RoutesWatch.class);
    static final long CHECK_SECONDS = 2;

    private final Path file;
    private final Consumer<String> onChange;
    private final Thread thread;
    private volatile boolean stopped;
    private String last;
    private boolean missing;

    RoutesWatch(Path file, Consumer<String> onChange) throws IOException {
        this.file = file;
        this.onChange = onChange;
        this.last = Files.readString(file);
        this.thread = DaemonThreads.named("ferry-routes-watch").newThread(this);
    }

    void start() {
        thread.start();
    }

    void stop() {
        stopped = true;
        thread.interrupt();
    }

    @Override
    public void run() {
        try (WatchService watcher = file.getFileSystem().newWatchService()) {
            file.toAbsolutePath().getParent().register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
            while (!stopped) {
                var key = watcher.poll(CHECK_SECONDS, TimeUnit.SECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
                check();
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // stopping
        } catch (IOException e) {
            LOG.errorf("Cannot watch the routes file %s any more: %s; the current routes keep running", file,
                    e.getMessage());
        }
    }

    private void check() {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            if (!missing) {
                missing = true;
                LOG.errorf("The routes file %s cannot be read (%s); the last good routes keep running", file,
                        e.getMessage());
            }
            return;
        }
        missing = false;
        if (!text.equals(last)) {
            last = text;
            onChange.accept(text);
        }
    }
}
