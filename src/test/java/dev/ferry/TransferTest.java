package dev.ferry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.ferry.config.FerryConfig;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;

/** Files dropped in the inbox arrive byte-identical in the outbox, through a real broker, both roles in one app. */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class TransferTest {

    @Inject
    FerryConfig config;

    Path inbox() {
        return config.producer().inbox().orElseThrow();
    }

    Path outbox() {
        return config.consumer().outbox().orElseThrow();
    }

    @Test
    void filesOfEveryEdgeSizeArriveByteIdenticalInNestedFolders() throws IOException {
        int chunk = config.topics().chunkBytes();
        long[] sizes = { 0, 1, chunk - 1, chunk, chunk + 1, 3L * chunk + 17 };
        Map<String, String> expected = new LinkedHashMap<>();
        for (int i = 0; i < sizes.length; i++) {
            String name = "edge/level" + (i % 3) + "/size-" + sizes[i] + ".bin";
            TestFiles.randomAtomically(inbox().resolve(name), sizes[i], i);
            expected.put(name, TestFiles.sha256(inbox().resolve(name)));
        }

        awaitDelivered(expected, Duration.ofSeconds(60));
    }

    @Test
    void a200MiBFileArrivesByteIdentical() throws IOException {
        Path file = TestFiles.randomAtomically(inbox().resolve("big/200MiB.bin"), 200L << 20, 42);
        String sha = TestFiles.sha256(file);

        awaitDelivered(Map.of("big/200MiB.bin", sha), Duration.ofMinutes(3));
    }

    @Test
    void manySmallFilesAtOnceAllArrive() throws IOException {
        Map<String, String> expected = new LinkedHashMap<>();
        for (int i = 0; i < 60; i++) {
            String name = "many/f" + i + ".dat";
            TestFiles.randomAtomically(inbox().resolve(name), 1000 + i * 997L, 1000 + i);
            expected.put(name, TestFiles.sha256(inbox().resolve(name)));
        }
        awaitDelivered(expected, Duration.ofSeconds(60));
    }

    @Test
    void aFileStillBeingWrittenIsNotSentUntilItSettles() throws Exception {
        Path file = inbox().resolve("growing/log.txt");
        Path target = outbox().resolve("growing/log.txt");
        Files.createDirectories(file.getParent());
        long settleMillis = config.producer().settleTime().toMillis();
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
            // Append more often than the settle time, for several settle periods: never finished in between.
            long end = System.nanoTime() + Duration.ofMillis(settleMillis * 6).toNanos();
            int line = 0;
            while (System.nanoTime() < end) {
                out.write(("line " + line++ + "\n").getBytes());
                out.flush();
                // A write every tenth of the settle time: only a stall of the whole settle time could make it look
                // finished.
                await().pollDelay(Duration.ofMillis(settleMillis / 10)).until(() -> true);
                assertThat(target).as("partial file delivered while still written").doesNotExist();
            }
        }
        String sha = TestFiles.sha256(file);
        awaitDelivered(Map.of("growing/log.txt", sha), Duration.ofSeconds(30));
    }

    @Test
    void hiddenAndTemporaryNamesAreIgnoredAndARenamedPartFileIsSent() throws Exception {
        TestFiles.random(inbox().resolve("ignored/.hidden"), 100, 1);
        TestFiles.random(inbox().resolve("ignored/upload.part"), 100, 2);
        TestFiles.random(inbox().resolve("ignored/scratch.tmp"), 100, 3);
        TestFiles.random(inbox().resolve("ignored/.cache/inside.bin"), 100, 4);
        Path part = TestFiles.random(inbox().resolve("ignored/report.csv.part"), 5000, 5);
        Files.move(part, inbox().resolve("ignored/report.csv"));
        String sha = TestFiles.sha256(inbox().resolve("ignored/report.csv"));

        awaitDelivered(Map.of("ignored/report.csv", sha), Duration.ofSeconds(30));
        // The ignored files settled long before report.csv, which settled after they were written.
        try (Stream<Path> delivered = Files.walk(outbox().resolve("ignored"))) {
            assertThat(delivered.filter(Files::isRegularFile).map(p -> outbox().relativize(p).toString()))
                    .containsExactly("ignored/report.csv");
        }
    }

    @Test
    void symlinksInTheInboxAreNotFollowed() throws Exception {
        Path secret = TestFiles.random(Files.createTempDirectory("outside").resolve("secret.bin"), 100, 9);
        Files.createDirectories(inbox().resolve("links"));
        Files.createSymbolicLink(inbox().resolve("links/secret-link.bin"), secret);
        Files.createSymbolicLink(inbox().resolve("links/dir-link"), secret.getParent());
        Path marker = TestFiles.randomAtomically(inbox().resolve("links/after.bin"), 10, 10);

        awaitDelivered(Map.of("links/after.bin", TestFiles.sha256(marker)), Duration.ofSeconds(30));
        assertThat(outbox().resolve("links/secret-link.bin")).doesNotExist();
        assertThat(outbox().resolve("links/dir-link")).doesNotExist();
    }

    private void awaitDelivered(Map<String, String> expected, Duration limit) {
        await().atMost(limit).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (Map.Entry<String, String> e : expected.entrySet()) {
                Path delivered = outbox().resolve(e.getKey());
                assertThat(delivered).as(e.getKey()).exists();
                assertThat(TestFiles.sha256(delivered)).as(e.getKey()).isEqualTo(e.getValue());
            }
        });
        // Delivered once: a second delivery would show up as "name (2).ext" next to the first.
        try (Stream<Path> all = Files.walk(outbox())) {
            assertThat(all.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(" (2)"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
