package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.testing.TestFiles;

/** How a file is cut and sent, against a publisher that acknowledges asynchronously (no broker needed here). */
class FileSenderTest {

    static final String ID = "0123456789abcdef0123456789abcdef";
    static final int CHUNK = 4096;
    static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path inbox;

    final ScheduledExecutorService acker = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        acker.shutdownNow();
    }

    /** Acknowledges after a short delay, counting what is unacknowledged at once. */
    final class RecordingPublisher implements FileSender.Publisher {
        final List<FerryRecord> sent = new ArrayList<>();
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger maxOutstanding = new AtomicInteger();
        volatile int failAt = -1;
        volatile Runnable beforeLast;

        final List<Integer> partitions = new ArrayList<>();

        @Override
        public synchronized CompletionStage<Void> send(FerryRecord record, int partition) {
            partitions.add(partition);
            // Copy now, as the Kafka producer copies into its batch: the sender reuses the buffer after the ack.
            sent.add(
                    record instanceof Chunk c
                            ? new Chunk(c.transferId(), c.attempt(), c.path(), c.index(), c.count(), c.offset(),
                                    c.size(), c.modifiedMillis(), c.mode(), c.data().clone(), c.sha256())
                            : record);
            maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            CompletableFuture<Void> ack = new CompletableFuture<>();
            boolean fail = record instanceof Chunk c && c.index() == failAt;
            acker.schedule(() -> {
                outstanding.decrementAndGet();
                if (fail) {
                    ack.completeExceptionally(new IllegalStateException("delivery timeout"));
                } else {
                    ack.complete(null);
                }
            }, 2, TimeUnit.MILLISECONDS);
            return ack;
        }
    }

    /** The connector's "Retries exhausted : 0 attempts" for an expired send reads as if nothing was tried. */
    @Test
    void aSendThatExpiredIsToldInWordsNotAsZeroAttempts() {
        Throwable expired = new CompletionException(new IllegalStateException(
                "Retries exhausted : 0 attempts against 1796170439039/1796170437638 expiration",
                new TimeoutException("Expiring 3 record(s) for ferry-chunks-0: 8001 ms has passed")));
        assertThat(FileSender.sendFailure(expired)).isEqualTo("Kafka did not acknowledge the chunk within the delivery "
                + "timeout (delivery.timeout.ms): Expiring 3 record(s) for ferry-chunks-0: 8001 ms has passed");
        assertThat(FileSender.sendFailure(new CompletionException(new RecordTooLargeException("too large"))))
                .isEqualTo("RecordTooLargeException: too large");
    }

    @Test
    void aFileIsCutIntoOrderedChunksThatReassembleWithTheRightHash() throws Exception {
        Path file = TestFiles.random(inbox.resolve("a.bin"), 10 * CHUNK + 123, 1);
        RecordingPublisher publisher = new RecordingPublisher();
        FileSender sender = new FileSender(publisher, inbox, CHUNK, 6, 1, null, ACK_TIMEOUT);

        assertThat(send(sender, FileState.read(inbox, file), 0)).isEqualTo(FileSender.Result.SENT);

        assertThat(publisher.sent).hasSize(11).allMatch(r -> r instanceof Chunk);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < publisher.sent.size(); i++) {
            Chunk c = (Chunk) publisher.sent.get(i);
            assertThat(c.index()).isEqualTo(i);
            assertThat(c.offset()).isEqualTo((long) i * CHUNK);
            joined.write(c.data());
        }
        assertThat(joined.toByteArray()).isEqualTo(Files.readAllBytes(file));
        Chunk last = (Chunk) publisher.sent.get(10);
        assertThat(last.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        assertThat(publisher.maxOutstanding.get()).as("one file uses at most half of the shared window")
                .isLessThanOrEqualTo(3);
        assertThat(publisher.outstanding.get()).as("returns only when everything is acknowledged").isZero();
        assertThat(publisher.partitions).as("every chunk of the attempt goes to its partition").containsOnly(7);
    }

    @Test
    void aFileChangedWhileReadEndsWithAnAbortInsteadOfItsLastChunk() throws Exception {
        Path file = TestFiles.random(inbox.resolve("changing.bin"), 5 * CHUNK, 2);
        FileState before = FileState.read(inbox, file);
        Files.writeString(file, "appended", StandardOpenOption.APPEND);
        RecordingPublisher publisher = new RecordingPublisher();

        FileSender.Result result = send(new FileSender(publisher, inbox, CHUNK, 2, 1, null, ACK_TIMEOUT), before, 4);

        assertThat(result).isEqualTo(FileSender.Result.CHANGED);
        FerryRecord lastSent = publisher.sent.get(publisher.sent.size() - 1);
        assertThat(lastSent).isInstanceOf(Abort.class);
        assertThat(((Abort) lastSent).attempt()).isEqualTo(4);
        assertThat(publisher.sent).noneMatch(r -> r instanceof Chunk c && c.isLast());
    }

    @Test
    @Timeout(10) // a leaked window permit would make the abort wait minutes
    void aFailedSendAbortsTheAttemptAndReportsFailure() throws Exception {
        Path file = TestFiles.random(inbox.resolve("failing.bin"), 8 * CHUNK, 3);
        RecordingPublisher publisher = new RecordingPublisher();
        publisher.failAt = 2;

        FileSender.Result result = send(new FileSender(publisher, inbox, CHUNK, 2, 1, null, ACK_TIMEOUT),
                FileState.read(inbox, file), 0);

        assertThat(result).isEqualTo(FileSender.Result.FAILED);
        assertThat(publisher.sent.get(publisher.sent.size() - 1)).isInstanceOf(Abort.class);
        assertThat(((Abort) publisher.sent.get(publisher.sent.size() - 1)).reason()).contains("delivery timeout");
        assertThat(publisher.partitions).as("the abort follows its chunks into their partition").containsOnly(7);
    }

    @Test
    @Timeout(30)
    void aStoppingProducerWaitsForItsAcknowledgementsAndRecordsHowFarItGotWithoutAnAbort() throws Exception {
        Path file = TestFiles.random(inbox.resolve("long.bin"), 2000L * CHUNK, 6);
        RecordingPublisher publisher = new RecordingPublisher();
        List<Integer> progress = new CopyOnWriteArrayList<>();
        AtomicInteger outstandingAtProgress = new AtomicInteger(-1);
        FileSender sender = new FileSender(publisher, inbox, CHUNK, 4, 1, new RateLimiter(400 * CHUNK), ACK_TIMEOUT);
        CompletableFuture<FileSender.Result> result = CompletableFuture.supplyAsync(() -> {
            try {
                return sender.send(FileState.read(inbox, file), ID, 2, 7, 0, next -> {
                    outstandingAtProgress.set(publisher.outstanding.get());
                    progress.add(next);
                });
            } catch (InterruptedException | FileSender.UnreadableFile e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await().until(() -> publisher.sent.size() > 10);

        sender.stop();

        assertThat(result.get()).isEqualTo(FileSender.Result.STOPPED);
        assertThat(publisher.sent.size()).as("stopped long before the end of the file").isLessThan(1000);
        assertThat(publisher.sent).as("no abort: the restart resumes the attempt").allMatch(r -> r instanceof Chunk);
        assertThat(outstandingAtProgress.get()).as("in-flight chunks acknowledged before the last record").isZero();
        assertThat(progress).as("the final progress covers every chunk sent").last().isEqualTo(publisher.sent.size());
    }

    @Test
    void aResumedAttemptSendsOnlyTheRestAndItsHashCoversTheWholeFile() throws Exception {
        Path file = TestFiles.random(inbox.resolve("resumed.bin"), 10 * CHUNK + 77, 8);
        RecordingPublisher publisher = new RecordingPublisher();

        FileSender.Result result = new FileSender(publisher, inbox, CHUNK, 6, 1, null, ACK_TIMEOUT)
                .send(FileState.read(inbox, file), ID, 3, 7, 6, next -> {
                });

        assertThat(result).isEqualTo(FileSender.Result.SENT);
        assertThat(publisher.sent).extracting(r -> ((Chunk) r).index()).containsExactly(6, 7, 8, 9, 10);
        Chunk first = (Chunk) publisher.sent.get(0);
        assertThat(first.offset()).isEqualTo(6L * CHUNK);
        assertThat(first.attempt()).isEqualTo(3);
        assertThat(((Chunk) publisher.sent.get(4)).sha256())
                .isEqualTo(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    @Timeout(30)
    void aSendWhoseAnswerNeverComesFailsTheAttemptAfterTheAckTimeout() throws Exception {
        Path file = TestFiles.random(inbox.resolve("silent.bin"), 20L * CHUNK, 9);
        List<FerryRecord> sent = new CopyOnWriteArrayList<>();
        FileSender.Publisher silent = new FileSender.Publisher() {

            @Override
            public CompletionStage<Void> send(FerryRecord record, int partition) {
                sent.add(record);
                return new CompletableFuture<>(); // a broker gone, an answer lost: never completes
            }
        };
        long start = System.nanoTime();

        FileSender.Result result = new FileSender(silent, inbox, CHUNK, 4, 1, null, Duration.ofSeconds(1))
                .send(FileState.read(inbox, file), ID, 0, 0, 0, next -> {
                });

        assertThat(result).isEqualTo(FileSender.Result.FAILED);
        assertThat(sent).as("the window stopped reading: nothing more sent after it filled").hasSize(2 + 1).last()
                .isInstanceOf(Abort.class);
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
    }

    @Test
    void anEmptyFileIsOneEmptyChunkWithTheHashOfNothing() throws Exception {
        Path file = Files.createFile(inbox.resolve("empty"));
        RecordingPublisher publisher = new RecordingPublisher();
        assertThat(
                send(new FileSender(publisher, inbox, CHUNK, 2, 1, null, ACK_TIMEOUT), FileState.read(inbox, file), 0))
                        .isEqualTo(FileSender.Result.SENT);
        assertThat(publisher.sent).singleElement().satisfies(r -> {
            Chunk c = (Chunk) r;
            assertThat(c.data()).isEmpty();
            assertThat(c.isLast()).isTrue();
            assertThat(c.sha256()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(new byte[0]));
        });
    }

    @Test
    void theRateLimitSlowsSending() throws Exception {
        Path file = TestFiles.random(inbox.resolve("slow.bin"), 64 * 1024, 4);
        RecordingPublisher publisher = new RecordingPublisher();
        long start = System.nanoTime();
        // 32 KiB/s with a one-second bucket: the second 32 KiB must wait about a second.
        send(new FileSender(publisher, inbox, CHUNK, 4, 1, new RateLimiter(32 * 1024), ACK_TIMEOUT),
                FileState.read(inbox, file), 0);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(900);
    }

    /** A fresh attempt to partition 7, progress ignored. */
    static FileSender.Result send(FileSender sender, FileState state, int attempt)
            throws InterruptedException, FileSender.UnreadableFile {
        return sender.send(state, ID, attempt, 7, 0, next -> {
        });
    }
}
