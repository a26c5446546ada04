package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class InboxWatcherTest {

    @TempDir
    Path root;

    /** A watcher on its own thread, with what it handed on so far. */
    static final class Running implements AutoCloseable {
        final InboxScanner scanner;
        final List<FileState> finished = new CopyOnWriteArrayList<>();
        private final InboxWatcher watcher;
        private final Thread thread;

        Running(Path inbox, Duration settle) {
            scanner = new InboxScanner(inbox, new InboxFilter(List.of("**"), List.of(".*", "*.part"), null));
            watcher = new InboxWatcher(scanner, new CompletionTracker(settle.toNanos(), false, Set::of), settle,
                    Duration.ofHours(1), finished::add);
            thread = new Thread(watcher, "inbox-watcher-test");
            thread.start();
        }

        List<String> paths() {
            return finished.stream().map(FileState::relativePath).toList();
        }

        @Override
        public void close() throws InterruptedException {
            watcher.stop();
            thread.join(10_000);
        }
    }

    /**
     * Files arriving one after another while earlier ones settle: each is handed on exactly once. (A first version of
     * the event path dropped the files that happened to settle at the moment another file's event was taken.)
     */
    @Test
    @Timeout(120)
    void filesArrivingWhileOthersSettleAreEachHandedOnOnce() throws Exception {
        int files = 400;
        Path inbox = Files.createDirectories(root.resolve("inbox"));
        Path source = Files.createDirectories(root.resolve("source"));
        try (Running watching = new Running(inbox, Duration.ofMillis(50))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> watching.scanner.visited() > 0); // watching now
            for (int i = 0; i < files; i++) {
                Path file = Files.write(source.resolve("f" + i + ".bin"), new byte[1024]);
                Files.move(file, inbox.resolve(file.getFileName()));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> watching.finished.size() >= files);
            assertThat(watching.paths().stream().distinct().count()).isEqualTo(files);
            assertThat(watching.finished).hasSize(files);
        }
    }

    /**
     * Before: every watch event walked the whole inbox, so each file arriving cost as much as the files already waiting
     * (100,000 files: a walk per event). Now an event costs the entry it names; the periodic rescan stays.
     */
    @Test
    @Timeout(120)
    void aWatchEventCostsTheEntryItNamesNotTheWholeInbox() throws Exception {
        int waiting = 3000;
        Path inbox = Files.createDirectories(root.resolve("inbox"));
        Path old = Files.createDirectories(inbox.resolve("old"));
        for (int i = 0; i < waiting; i++) {
            Files.write(old.resolve("f" + i + ".bin"), new byte[] { (byte) i });
        }
        try (Running watching = new Running(inbox, Duration.ofMillis(100))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> watching.finished.size() == waiting);
            long before = watching.scanner.visited();

            Files.writeString(inbox.resolve("new.csv"), "a,b\n");
            Path batch = Files.createDirectories(root.resolve("batch"));
            Files.writeString(batch.resolve("one.csv"), "1\n");
            Files.writeString(batch.resolve("two.csv"), "2\n");
            Files.move(batch, inbox.resolve("batch")); // a folder renamed in: walked, as one event

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> watching.paths().containsAll(List.of("new.csv", "batch/one.csv", "batch/two.csv")));
            long walked = watching.scanner.visited() - before;
            System.out.printf(
                    "With %d files waiting in the inbox, a new file and a folder of 2 cost %d entries walked%n",
                    waiting, walked);
            assertThat(walked).as("entries walked for the events").isLessThan(20);
            assertThat(watching.finished).hasSize(waiting + 3);
        }
    }
}
