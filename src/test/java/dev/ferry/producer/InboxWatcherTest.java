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
        InboxScanner scanner = new InboxScanner(inbox, new InboxFilter(List.of("**"), List.of(".*", "*.part"), null));
        CompletionTracker tracker = new CompletionTracker(Duration.ofMillis(50).toNanos(), false, Set::of);
        List<FileState> finished = new CopyOnWriteArrayList<>();
        InboxWatcher watcher = new InboxWatcher(scanner, tracker, Duration.ofMillis(50), Duration.ofHours(1),
                finished::add);
        Thread thread = new Thread(watcher, "inbox-watcher-test");
        thread.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> scanner.visited() > 0); // first scan done, watching
            for (int i = 0; i < files; i++) {
                Path file = Files.write(source.resolve("f" + i + ".bin"), new byte[1024]);
                Files.move(file, inbox.resolve(file.getFileName()));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> finished.size() >= files);
            assertThat(finished.stream().map(FileState::relativePath).distinct().count()).isEqualTo(files);
            assertThat(finished).hasSize(files);
        } finally {
            watcher.stop();
            thread.join(10_000);
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
        InboxScanner scanner = new InboxScanner(inbox, new InboxFilter(List.of("**"), List.of(".*", "*.part"), null));
        CompletionTracker tracker = new CompletionTracker(Duration.ofMillis(100).toNanos(), false, Set::of);
        List<FileState> finished = new CopyOnWriteArrayList<>();
        InboxWatcher watcher = new InboxWatcher(scanner, tracker, Duration.ofMillis(100), Duration.ofHours(1),
                finished::add);
        Thread thread = new Thread(watcher, "inbox-watcher-test");
        thread.start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> finished.size() == waiting);
            long before = scanner.visited();

            Files.writeString(inbox.resolve("new.csv"), "a,b\n");
            Path batch = Files.createDirectories(root.resolve("batch"));
            Files.writeString(batch.resolve("one.csv"), "1\n");
            Files.writeString(batch.resolve("two.csv"), "2\n");
            Files.move(batch, inbox.resolve("batch")); // a folder renamed in: walked, as one event

            await().atMost(Duration.ofSeconds(30)).until(() -> finished.stream().map(FileState::relativePath)
                    .toList().containsAll(List.of("new.csv", "batch/one.csv", "batch/two.csv")));
            long walked = scanner.visited() - before;
            System.out.printf("With %d files waiting in the inbox, a new file and a folder of 2 cost %d entries walked%n",
                    waiting, walked);
            assertThat(walked).as("entries walked for the events").isLessThan(20);
            assertThat(finished).hasSize(waiting + 3);
        } finally {
            watcher.stop();
            thread.join(10_000);
        }
    }
}
