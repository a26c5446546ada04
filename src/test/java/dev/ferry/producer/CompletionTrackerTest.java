package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** When a file counts as finished, with a simulated clock. */
class CompletionTrackerTest {

    static final long SETTLE = TimeUnit.SECONDS.toNanos(2);

    @TempDir
    Path inbox;

    Map<String, FileState> scan() {
        return scanner().scan(folder -> {
        });
    }

    InboxScanner scanner() {
        return new InboxScanner(inbox, new InboxFilter(List.of("**"), List.of(".*", "*.part", "*.tmp"), null));
    }

    @Test
    void aFileIsFinishedOnlyAfterItStayedUnchangedForTheSettleTime() throws IOException {
        CompletionTracker tracker = new CompletionTracker(SETTLE, false);
        Files.writeString(inbox.resolve("a.txt"), "one");
        assertThat(tracker.observe(scan(), true, 0)).isEmpty();
        assertThat(tracker.recheck(inbox, SETTLE - 1)).isEmpty();
        assertThat(tracker.recheck(inbox, SETTLE)).extracting(FileState::relativePath).containsExactly("a.txt");
        assertThat(tracker.recheck(inbox, 2 * SETTLE)).as("reported once").isEmpty();
    }

    @Test
    void aGrowingFileRestartsItsSettleTime() throws IOException {
        CompletionTracker tracker = new CompletionTracker(SETTLE, false);
        Path file = inbox.resolve("growing.log");
        Files.writeString(file, "a");
        tracker.observe(scan(), true, 0);
        Files.writeString(file, "ab");
        assertThat(tracker.recheck(inbox, SETTLE - 10)).isEmpty();
        assertThat(tracker.recheck(inbox, SETTLE + 10)).as("changed at SETTLE-10, so not settled yet").isEmpty();
        assertThat(tracker.recheck(inbox, 2 * SETTLE)).hasSize(1);
    }

    @Test
    void aChangedFileIsReportedAgainAfterItSettles() throws IOException {
        CompletionTracker tracker = new CompletionTracker(SETTLE, false);
        Path file = inbox.resolve("v.txt");
        Files.writeString(file, "v1");
        tracker.observe(scan(), true, 0);
        assertThat(tracker.recheck(inbox, SETTLE)).hasSize(1);
        Files.writeString(file, "version 2");
        assertThat(tracker.observe(scan(), true, SETTLE + 1)).isEmpty();
        assertThat(tracker.recheck(inbox, 3 * SETTLE)).extracting(FileState::size).containsExactly(9L);
    }

    @Test
    void filesAlreadySentCostARoundNothingHoweverManyStayInTheInbox() throws IOException {
        CompletionTracker tracker = new CompletionTracker(SETTLE, false, Set::of);
        Map<String, FileState> sent = new HashMap<>();
        for (int i = 0; i < 100_000; i++) {
            String name = "kept/f" + i;
            sent.put(name, new FileState(name, inbox.resolve(name), 4096, 1_600_000_000_000L, 0, null, 0644));
        }
        tracker.observe(sent, true, 0);
        assertThat(tracker.observe(sent, true, SETTLE)).hasSize(100_000);

        Files.writeString(inbox.resolve("new.txt"), "new");
        Map<String, FileState> event = scanner().scan(Set.of(inbox.resolve("new.txt")), folder -> {
        });
        tracker.observe(event, false, SETTLE + 1);
        System.out.printf("100,000 files sent and kept in the inbox, one new: a round looks at %d file(s)%n",
                tracker.settlingCount());
        assertThat(tracker.settlingCount()).isEqualTo(1);
        assertThat(tracker.recheck(inbox, 2 * SETTLE + 1)).extracting(FileState::relativePath)
                .containsExactly("new.txt");
        assertThat(tracker.settlingCount()).isZero();
        assertThat(tracker.observe(sent, true, 3 * SETTLE)).as("each reported once").isEmpty();
    }

    @Test
    @Timeout(30)
    void aQuietFileThatAProcessStillHoldsOpenForWritingIsNotFinished() throws Exception {
        CompletionTracker tracker = new CompletionTracker(SETTLE, false);
        Path file = inbox.resolve("slow.bin");
        Files.writeString(file, "first part\n");
        // A writer that pauses longer than the settle time with the file still open (as the slow writer that was
        // delivered truncated did), then writes the rest and closes it.
        Process writer = new ProcessBuilder("sh", "-c", "exec 3>>'" + file + "'; read line; echo rest >&3")
                .redirectInput(ProcessBuilder.Redirect.PIPE).start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> OpenWriters.fileKeys().contains(FileState.read(inbox, file).fileKey()));
            tracker.observe(scan(), true, 0);
            assertThat(tracker.recheck(inbox, 5 * SETTLE)).as("quiet for 5 settle times, but open for writing")
                    .isEmpty();
            writer.getOutputStream().write("go\n".getBytes());
            writer.getOutputStream().flush();
            assertThat(writer.waitFor()).isZero();
        } finally {
            writer.destroyForcibly();
        }
        assertThat(tracker.recheck(inbox, 6 * SETTLE)).as("written to and closed: settles anew").isEmpty();
        assertThat(tracker.recheck(inbox, 8 * SETTLE)).extracting(FileState::size).containsExactly(16L);
    }

    @Test
    void markerModeWaitsForTheDoneFileAndNeverSendsTheMarker() throws IOException {
        CompletionTracker tracker = new CompletionTracker(SETTLE, true);
        InboxScanner scanner = new InboxScanner(inbox,
                new InboxFilter(List.of("**"), List.of(".*"), CompletionTracker.MARKER_SUFFIX));
        Files.writeString(inbox.resolve("data.csv"), "x");
        Map<String, FileState> scan = scanner.scan(d -> {
        });
        assertThat(tracker.observe(scan, true, 10 * SETTLE)).isEmpty();
        Files.writeString(inbox.resolve("data.csv.done"), "");
        scan = scanner.scan(d -> {
        });
        assertThat(scan).containsOnlyKeys("data.csv");
        assertThat(tracker.observe(scan, true, 10 * SETTLE)).extracting(FileState::relativePath)
                .containsExactly("data.csv");
    }

    @Test
    void excludedNamesAndSymlinksAreNotCandidates() throws IOException {
        Files.createDirectories(inbox.resolve(".hidden-dir"));
        Files.writeString(inbox.resolve(".hidden-dir/x"), "x");
        Files.writeString(inbox.resolve("a.part"), "x");
        Files.writeString(inbox.resolve("b.tmp"), "x");
        Files.writeString(inbox.resolve(".c"), "x");
        Files.createDirectories(inbox.resolve("sub/deeper"));
        Files.writeString(inbox.resolve("sub/deeper/ok.bin"), "x");
        Files.createSymbolicLink(inbox.resolve("link.bin"), inbox.resolve("sub/deeper/ok.bin"));
        Files.createSymbolicLink(inbox.resolve("linkdir"), inbox.resolve("sub"));

        assertThat(scan()).containsOnlyKeys("sub/deeper/ok.bin");
    }

    @Test
    void includeGlobsSelectByRelativePath() throws IOException {
        Files.createDirectories(inbox.resolve("csv"));
        Files.writeString(inbox.resolve("csv/a.csv"), "x");
        Files.writeString(inbox.resolve("b.bin"), "x");
        InboxScanner csvOnly = new InboxScanner(inbox, new InboxFilter(List.of("**.csv"), List.of(), null));
        assertThat(csvOnly.scan(d -> {
        })).containsOnlyKeys("csv/a.csv");
    }
}
