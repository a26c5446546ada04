package dev.ferry.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.RoaringBitmap;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.InvalidRecordException;
import dev.ferry.config.FerryConfig.ConflictPolicy;
import dev.ferry.receipt.MemoryReceipts;
import dev.ferry.receipt.Receipt;
import dev.ferry.testing.OpenFiles;

/** Assembly without Kafka: chunks in any order, duplicates, attempts, verification, resume and acknowledgements. */
class AssemblerTest {

    static final TopicPartition P0 = new TopicPartition("ferry-chunks", 0);
    static final TopicPartition P1 = new TopicPartition("ferry-chunks", 1);
    static final int CHUNK = 1000;

    @TempDir
    Path root;

    Path outbox;
    Path state;
    Assembler assembler;
    final MemoryReceipts receipts = new MemoryReceipts();
    final AtomicInteger acks = new AtomicInteger();

    @BeforeEach
    void open() throws IOException {
        outbox = root.resolve("outbox");
        state = root.resolve("state");
        Files.createDirectories(outbox);
        Files.createDirectories(state);
        assembler = newAssembler();
    }

    @AfterEach
    void closeAll() throws IOException {
        assembler.close();
    }

    Assembler newAssembler() throws IOException {
        return newAssembler(Assembler.Limits.DEFAULT);
    }

    Assembler newAssembler(Assembler.Limits limits) throws IOException {
        Assembler a = new Assembler(outbox.resolve(".ferry/staging/test"), outbox.resolve(".ferry/quarantine"),
                new Journal(state.resolve("assemblies")), new Deliverer(outbox, ConflictPolicy.KEEP_BOTH), receipts,
                "test", Long.MAX_VALUE, 0, limits, new FailureReceipts());
        a.assign(List.of(P0));
        return a;
    }

    void replaceAssembler(Assembler.Limits limits) throws IOException {
        assembler.close();
        assembler = newAssembler(limits);
    }

    static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static List<Chunk> chunksOf(String id, int attempt, String path, byte[] content) throws Exception {
        int count = Chunk.countFor(content.length, CHUNK);
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(content);
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int from = i * CHUNK;
            byte[] data = Arrays.copyOfRange(content, from, Math.min(content.length, from + CHUNK));
            chunks.add(new Chunk(id, attempt, path, i, count, from, content.length, 1_600_000_000_000L, 0640, data,
                    i == count - 1 ? sha : null));
        }
        return chunks;
    }

    static String id(int n) {
        return String.format("%032x", n);
    }

    void feed(FerryRecord c) throws Exception {
        assembler.accept(c, P0, acks::incrementAndGet);
        assembler.flushIfDue();
    }

    @Test
    void chunksInAnyOrderAfterTheFirstWithDuplicatesMakeTheExactFile() throws Exception {
        byte[] content = bytes(10_500, 1);
        List<Chunk> chunks = chunksOf(id(1), 0, "a/b.bin", content);
        // A partition delivers a transfer's first chunk first; after it, order and duplicates do not matter.
        List<Chunk> shuffled = new ArrayList<>(chunks.subList(1, chunks.size()));
        shuffled.addAll(chunks.subList(2, 5));
        Collections.shuffle(shuffled, new Random(3));
        shuffled.add(0, chunks.get(0));
        for (Chunk c : shuffled) {
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("a/b.bin"))).isEqualTo(content);
        assertThat(acks.get()).as("every record acknowledged once the file is delivered").isEqualTo(shuffled.size());
        assertThat(Files.getLastModifiedTime(outbox.resolve("a/b.bin")).toMillis()).isEqualTo(1_600_000_000_000L);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outbox.resolve("a/b.bin"))))
                .as("mode 0640").isEqualTo("rw-r-----");
        assertThat(assembler.inProgress()).isZero();
        assertStagingEmpty();
    }

    @Test
    void theFirstRecordIsHeldUntilTheFileIsDelivered() throws Exception {
        List<Chunk> chunks = chunksOf(id(2), 0, "held.bin", bytes(3500, 2));
        List<Integer> acked = new ArrayList<>();
        for (int i = 0; i < chunks.size() - 1; i++) {
            int n = i;
            assembler.accept(chunks.get(i), P0, () -> acked.add(n));
        }
        assertThat(acked).as("all but the first acknowledged before delivery").containsExactly(1, 2);
        assembler.accept(chunks.get(3), P0, () -> acked.add(3));
        assembler.flushIfDue();
        assertThat(acked).containsExactly(1, 2, 3, 0);
    }

    @Test
    void interleavedFilesAssembleTogether() throws Exception {
        byte[] a = bytes(5000, 10);
        byte[] b = bytes(4200, 11);
        List<Chunk> ca = chunksOf(id(10), 0, "x/a", a);
        List<Chunk> cb = chunksOf(id(11), 0, "x/b", b);
        for (int i = 0; i < Math.max(ca.size(), cb.size()); i++) {
            if (i < ca.size()) {
                feed(ca.get(i));
            }
            if (i < cb.size()) {
                feed(cb.get(i));
            }
        }
        assertThat(Files.readAllBytes(outbox.resolve("x/a"))).isEqualTo(a);
        assertThat(Files.readAllBytes(outbox.resolve("x/b"))).isEqualTo(b);
    }

    @Test
    void emptyFileIsDelivered() throws Exception {
        feed(chunksOf(id(3), 0, "empty", new byte[0]).get(0));
        assertThat(outbox.resolve("empty")).exists().isEmptyFile();
    }

    @Test
    void aCorruptFileIsQuarantinedNeverDelivered() throws Exception {
        byte[] content = bytes(2500, 4);
        List<Chunk> chunks = chunksOf(id(4), 0, "bad.bin", content);
        Chunk last = chunks.get(2);
        byte[] wrongSha = new byte[32];
        chunks.set(2, new Chunk(last.transferId(), 0, last.path(), 2, 3, last.offset(), last.size(),
                last.modifiedMillis(), last.mode(), last.data(), wrongSha));
        for (Chunk c : chunks) {
            feed(c);
        }
        assertThat(outbox.resolve("bad.bin")).doesNotExist();
        try (Stream<Path> q = Files.list(outbox.resolve(".ferry/quarantine"))) {
            assertThat(q.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith("bad.bin"))
                    .anyMatch(n -> n.endsWith(".reason"));
        }
        assertThat(acks.get()).isEqualTo(3);
        assertThat(receipts.find(id(4))).get().extracting(Receipt::outcome).isEqualTo(Receipt.Outcome.QUARANTINED);
    }

    @Test
    void anAbortDiscardsTheAttemptAndALaterAttemptStartsAfresh() throws Exception {
        byte[] v1 = bytes(3000, 5);
        byte[] v2 = bytes(3000, 6);
        List<Chunk> first = chunksOf(id(5), 0, "retry.bin", v1);
        feed(first.get(0));
        feed(first.get(1));
        feed(new Abort(id(5), 0, "retry.bin", "file changed"));
        assertThat(assembler.inProgress()).isZero();
        assertStagingEmpty();
        for (Chunk c : chunksOf(id(5), 1, "retry.bin", v2)) {
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("retry.bin"))).isEqualTo(v2);
    }

    @Test
    void aNewerAttemptSupersedesAnUnfinishedOneAndOldChunksAreIgnored() throws Exception {
        byte[] v1 = bytes(3000, 7);
        byte[] v2 = bytes(3000, 8);
        List<Chunk> old = chunksOf(id(6), 0, "attempts.bin", v1);
        feed(old.get(0));
        List<Chunk> fresh = chunksOf(id(6), 1, "attempts.bin", v2);
        feed(fresh.get(0));
        feed(old.get(1)); // a stale chunk of attempt 0 arriving late must not be mixed in
        feed(fresh.get(1));
        feed(fresh.get(2));
        assertThat(Files.readAllBytes(outbox.resolve("attempts.bin"))).isEqualTo(v2);
    }

    @Test
    void chunksOfADeliveredTransferReadAgainAreSkipped() throws Exception {
        List<Chunk> chunks = chunksOf(id(7), 0, "once.bin", bytes(2000, 9));
        for (Chunk c : chunks) {
            feed(c);
        }
        Files.delete(outbox.resolve("once.bin")); // a reader took it away
        for (Chunk c : chunks) {
            feed(c);
        }
        assertThat(outbox.resolve("once.bin")).as("not delivered a second time").doesNotExist();
    }

    @Test
    void afterARestartStagedChunksAreNotWrittenAgain() throws Exception {
        byte[] content = bytes(5000, 12);
        List<Chunk> chunks = chunksOf(id(8), 0, "resume.bin", content);
        feed(chunks.get(0));
        feed(chunks.get(1));
        feed(chunks.get(2));
        assembler.sync();
        assembler.close();
        Path staging = outbox.resolve(".ferry/staging/test/" + id(8) + "-0.part");
        // Mark the staged bytes: if the restart rewrote chunk 1, the mark would disappear.
        try (var ch = FileChannel.open(staging, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] { 1, 2, 3 }), 1000);
        }

        assembler = newAssembler();
        assertThat(assembler.inProgress()).isEqualTo(1);
        for (Chunk c : chunks) { // the partition is read again from the safe offset: all chunks come again
            feed(c);
        }
        // The marked bytes survived, so the file fails verification: proof nothing staged was rewritten.
        assertThat(outbox.resolve("resume.bin")).doesNotExist();
        try (Stream<Path> q = Files.list(outbox.resolve(".ferry/quarantine"))) {
            assertThat(q.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith("resume.bin"));
        }
    }

    @Test
    void afterARestartAnUntouchedResumedFileVerifiesAndIsDelivered() throws Exception {
        byte[] content = bytes(5000, 13);
        List<Chunk> chunks = chunksOf(id(9), 0, "resume-ok.bin", content);
        feed(chunks.get(0));
        feed(chunks.get(1));
        assembler.sync();
        assembler.close();

        assembler = newAssembler();
        for (Chunk c : chunks.subList(1, chunks.size())) {
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("resume-ok.bin"))).isEqualTo(content);
    }

    @Test
    void unsyncedChunksAreForgottenOnRestartAndRewritten() throws Exception {
        byte[] content = bytes(3000, 14);
        List<Chunk> chunks = chunksOf(id(12), 0, "unsynced.bin", content);
        feed(chunks.get(0));
        // no sync: the journal knows nothing, so after a restart the staging file is stale and removed
        assembler = newAssemblerAfterCrash();
        assertThat(assembler.inProgress()).isZero();
        assertStagingEmpty();
        for (Chunk c : chunks) {
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("unsynced.bin"))).isEqualTo(content);
    }

    @Test
    void recordsOfARevokedPartitionAreNotFinishedHere() throws Exception {
        List<Chunk> chunks = chunksOf(id(13), 0, "revoked.bin", bytes(2000, 15));
        feed(chunks.get(0));
        assembler.revoke(List.of(P0));
        feed(chunks.get(1));
        assertThat(outbox.resolve("revoked.bin")).doesNotExist();
        assembler.assign(List.of(P0));
        feed(chunks.get(0));
        feed(chunks.get(1));
        assertThat(outbox.resolve("revoked.bin")).exists();
    }

    @Test
    void stagedDataOfAPartitionThatMovedAwayIsDroppedOnceAnotherInstanceFinishedTheFile() throws Exception {
        List<Chunk> moved = chunksOf(id(40), 0, "moved.bin", bytes(3000, 40));
        List<Chunk> kept = chunksOf(id(41), 0, "kept.bin", bytes(3000, 41));
        feed(moved.get(0));
        assembler.assign(List.of(P1));
        assembler.accept(kept.get(0), P1, acks::incrementAndGet);
        assembler.revoke(List.of(P0));
        assertThat(stagingFiles()).hasSize(2);

        assembler.dropFinishedElsewhere();
        assertThat(stagingFiles()).as("not finished anywhere yet: kept for when the partition comes back").hasSize(2);

        receipts.record(List.of(new Receipt.Subject(id(40), 0, "moved.bin", 3000, null).delivered("moved.bin", "00",
                "other-instance")));
        receipts.record(List.of(
                new Receipt.Subject(id(41), 0, "kept.bin", 3000, null).delivered("kept.bin", "00", "other-instance")));
        assembler.dropFinishedElsewhere();
        assertThat(stagingFiles()).as("moved.bin's partition is gone and its file delivered elsewhere: dropped; "
                + "kept.bin's partition is still read here: left to its records").hasSize(1);
        assertThat(assembler.inProgress()).isEqualTo(1);
    }

    private List<Path> stagingFiles() throws IOException {
        try (var files = Files.list(outbox.resolve(".ferry/staging/test"))) {
            return files.toList();
        }
    }

    @Test
    void aChunkOfTheSameAttemptFromAnotherPartitionIsRefusedAndTheRealFileStillArrives() throws Exception {
        assembler.assign(List.of(P1));
        byte[] real = bytes(3000, 40);
        List<Chunk> chunks = chunksOf(id(40), 0, "real.bin", real);
        feed(chunks.get(0));
        // Same id, attempt and geometry, other bytes, written to another partition: before partitions kept their own
        // state, it was staged into the real transfer's file and the file was quarantined.
        Chunk forged = chunksOf(id(40), 0, "real.bin", bytes(3000, 41)).get(1);
        assertThatThrownBy(() -> assembler.accept(forged, P1, acks::incrementAndGet))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("from another partition");
        feed(chunks.get(1));
        feed(chunks.get(2));
        assertThat(Files.readAllBytes(outbox.resolve("real.bin"))).isEqualTo(real);
    }

    @Test
    void aNewerAttemptInAnotherPartitionSupersedesTheUnfinishedOne() throws Exception {
        // Partitions added to the topic between attempts move the transfer's key to another partition.
        assembler.assign(List.of(P1));
        byte[] v1 = bytes(3000, 42);
        byte[] v2 = bytes(3000, 43);
        feed(chunksOf(id(42), 0, "moved.bin", v1).get(0));
        for (Chunk c : chunksOf(id(42), 1, "moved.bin", v2)) {
            assembler.accept(c, P1, acks::incrementAndGet);
        }
        assembler.flush();
        assertThat(Files.readAllBytes(outbox.resolve("moved.bin"))).isEqualTo(v2);
        assertThat(assembler.inProgress()).as("attempt 0 dropped, attempt 1 delivered").isZero();
        assertStagingEmpty();
    }

    @Test
    void aChunkContradictingItsTransferIsRefused() throws Exception {
        List<Chunk> chunks = chunksOf(id(14), 0, "one.bin", bytes(2000, 16));
        feed(chunks.get(0));
        Chunk other = chunksOf(id(14), 0, "other.bin", bytes(2000, 16)).get(1);
        assertThatThrownBy(() -> feed(other)).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("earlier chunks said one.bin");
    }

    @Test
    void aDifferentFileAtTheSamePathIsKeptBesideTheFirst() throws Exception {
        byte[] v1 = bytes(1500, 17);
        byte[] v2 = bytes(1500, 18);
        for (Chunk c : chunksOf(id(15), 0, "same/name.txt", v1)) {
            feed(c);
        }
        for (Chunk c : chunksOf(id(16), 0, "same/name.txt", v2)) {
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("same/name.txt"))).isEqualTo(v1);
        assertThat(Files.readAllBytes(outbox.resolve("same/name (2).txt"))).isEqualTo(v2);
    }

    @Test
    void completeFilesAreDeliveredTogetherAndTheirOffsetsReleasedOnlyAfterTheBatchIsDurable() throws Exception {
        assembler.close();
        assembler = new Assembler(outbox.resolve(".ferry/staging/test"), outbox.resolve(".ferry/quarantine"),
                new Journal(state.resolve("assemblies")), new Deliverer(outbox, ConflictPolicy.KEEP_BOTH), receipts,
                "test", Long.MAX_VALUE, Long.MAX_VALUE);
        assembler.assign(List.of(P0));
        List<Integer> firstRecordAcks = new ArrayList<>();
        for (int f = 0; f < 5; f++) {
            List<Chunk> chunks = chunksOf(id(100 + f), 0, "batch/f" + f, bytes(1500, 100 + f));
            int n = f;
            assembler.accept(chunks.get(0), P0, () -> firstRecordAcks.add(n));
            assembler.accept(chunks.get(1), P0, () -> {
            });
        }
        assertThat(outbox.resolve("batch/f0")).doesNotExist();
        assertThat(outbox.resolve("batch/f4")).doesNotExist();
        assertThat(firstRecordAcks).as("no offset may move before the batch is delivered").isEmpty();

        assembler.flush();

        for (int f = 0; f < 5; f++) {
            assertThat(Files.readAllBytes(outbox.resolve("batch/f" + f))).isEqualTo(bytes(1500, 100 + f));
        }
        assertThat(firstRecordAcks).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
        assertThat(receipts.find(id(102))).get().extracting(Receipt::outcome, Receipt::target)
                .containsExactly(Receipt.Outcome.DELIVERED, "batch/f2");
    }

    @Test
    void recordsAreStagedWhileABatchWaitsForItsReceiptsAndItsOwnRecordsWaitForIt() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            byte[] a = bytes(500, 7);
            Chunk onlyChunkOfA = chunksOf(id(200), 0, "overlap/a", a).get(0);
            AtomicInteger acksOfA = new AtomicInteger();
            assembler.accept(onlyChunkOfA, P0, acksOfA::incrementAndGet);
            CountDownLatch atReceipts = receipts.holdRecords();
            Future<?> delivery = threads.submit(() -> {
                assembler.flush();
                return null;
            });
            assertThat(atReceipts.await(10, TimeUnit.SECONDS)).as("the batch waits for its receipts").isTrue();

            // Another file's records are staged meanwhile: the delivery does not hold the assembler (it did: every
            // record waited for the receipts' round trip).
            byte[] b = bytes(2500, 8);
            Future<?> staging = threads.submit(() -> {
                for (Chunk c : chunksOf(id(201), 0, "overlap/b", b)) {
                    assembler.accept(c, P0, acks::incrementAndGet);
                }
                return null;
            });
            staging.get(10, TimeUnit.SECONDS);
            assertThat(assembler.inProgress()).isEqualTo(2);

            // A record of the transfer being delivered waits for the delivery: nothing ends a file mid-delivery.
            Future<?> again = threads.submit(() -> {
                assembler.accept(onlyChunkOfA, P0, acksOfA::incrementAndGet);
                return null;
            });
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !again.isDone());
            // So does a revoke: the receipts must be in Kafka before the partition's next owner reads it.
            Future<?> revoke = threads.submit(() -> assembler.revoke(List.of(P1)));
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !revoke.isDone());
            assertThat(acksOfA.get()).as("a's record is held until its receipt is recorded").isZero();

            receipts.releaseRecords();
            delivery.get(10, TimeUnit.SECONDS);
            again.get(10, TimeUnit.SECONDS);
            revoke.get(10, TimeUnit.SECONDS);
            assertThat(Files.readAllBytes(outbox.resolve("overlap/a"))).isEqualTo(a);
            assembler.flush();
            assertThat(Files.readAllBytes(outbox.resolve("overlap/b"))).isEqualTo(b);
            assertThat(receipts.recorded()).extracting(Receipt::transfer).containsExactly(id(200), id(201));
            assertThat(acksOfA.get()).as("a's record, and again when read again (skipped)").isEqualTo(2);
            assertThat(acks.get()).as("b's three").isEqualTo(3);
        } finally {
            receipts.releaseRecords();
            threads.shutdownNow();
        }
    }

    @Test
    void completeFilesWaitingForDeliveryAreBounded() throws Exception {
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try {
            int files = Assembler.MAX_WAITING + 20;
            Future<?> staging = threads.submit(() -> {
                for (int f = 0; f < files; f++) {
                    assembler.accept(chunksOf(id(1000 + f), 0, "bound/f" + f, bytes(100, f)).get(0), P0,
                            acks::incrementAndGet);
                }
                return null;
            });
            // Nothing delivers: staging stops at the bound instead of holding ever more files and records.
            await().atMost(Duration.ofSeconds(10)).until(() -> assembler.inProgress() == Assembler.MAX_WAITING);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                    .until(() -> assembler.inProgress() == Assembler.MAX_WAITING && !staging.isDone());
            // Each keeps its staging file open until delivery syncs it: the queue bounds those descriptors too.
            long open = OpenFiles.under(outbox.resolve(".ferry/staging/test").toRealPath());
            System.out.printf("complete files waiting for delivery: at most %d (of %d arriving), %d staging files "
                    + "open (bound %d)%n", assembler.inProgress(), files, open, Assembler.MAX_WAITING);
            assertThat(open).isLessThanOrEqualTo(Assembler.MAX_WAITING);
            while (!staging.isDone()) {
                assembler.flush();
            }
            staging.get();
            assembler.flush();
            assertThat(acks.get()).isEqualTo(files);
            assertThat(Files.readAllBytes(outbox.resolve("bound/f" + (files - 1)))).isEqualTo(bytes(100, files - 1));
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aChunkWithoutItsTransfersStartIsReportedFailedNotWaitedFor() throws Exception {
        byte[] content = bytes(4000, 30);
        List<Chunk> attempt0 = chunksOf(id(30), 0, "aged-out.bin", content);
        feed(attempt0.get(2));
        feed(attempt0.get(3));
        assertThat(acks.get()).as("acknowledged, so the offset is not stuck behind it").isEqualTo(2);
        assertThat(assembler.inProgress()).isZero();
        assertThat(assembler.failedTransfers()).as("reported once per attempt").isEqualTo(1);
        assertThat(receipts.find(id(30))).as("no Kafka round trip on the record's path").isEmpty();
        assembler.writeFailureReceipts();
        assertThat(receipts.find(id(30))).as("the producer is told, so it sends the file again").get()
                .extracting(Receipt::outcome, Receipt::attempt).containsExactly(Receipt.Outcome.FAILED, 0);
        assertStagingEmpty();

        for (Chunk c : chunksOf(id(30), 1, "aged-out.bin", content)) { // the producer's next attempt
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("aged-out.bin"))).isEqualTo(content);
    }

    @Test
    void anAbandonedTransferIsRemovedAfterTheTtlAndReleasesItsOffset() throws Exception {
        List<Chunk> chunks = chunksOf(id(31), 0, "abandoned.bin", bytes(4000, 31));
        List<String> acked = new ArrayList<>();
        assembler.accept(chunks.get(0), P0, () -> acked.add("first"));
        assembler.accept(chunks.get(1), P0, () -> acked.add("second"));
        assembler.expireIncomplete(Duration.ofHours(1));
        assertThat(assembler.inProgress()).as("not idle for an hour yet").isEqualTo(1);

        assembler.expireIncomplete(Duration.ZERO);

        assertThat(assembler.inProgress()).isZero();
        assertThat(assembler.abandonedTransfers()).isEqualTo(1);
        assembler.writeFailureReceipts();
        assertThat(receipts.find(id(31))).get().extracting(Receipt::outcome).isEqualTo(Receipt.Outcome.FAILED);
        assertThat(acked).as("the held first record is released").containsExactly("second", "first");
        assertThat(outbox.resolve("abandoned.bin")).doesNotExist();
        assertStagingEmpty();
        try (Stream<Path> journal = Files.list(state.resolve("assemblies"))) {
            assertThat(journal).isEmpty();
        }
    }

    @Test
    void aCompleteFileWaitingForDeliveryIsNotJournaledOnlyAnUnfinishedOneIs() throws Exception {
        List<Chunk> unfinished = chunksOf(id(32), 0, "unfinished.bin", bytes(4000, 32));
        byte[] small = bytes(300, 33);
        assembler.accept(unfinished.get(0), P0, acks::incrementAndGet);
        assembler.accept(chunksOf(id(33), 0, "small.bin", small).get(0), P0, acks::incrementAndGet);

        assembler.sync();

        // The complete one is synced by its delivery moments later: an entry would be written only to be deleted.
        try (Stream<Path> journal = Files.list(state.resolve("assemblies"))) {
            assertThat(journal).extracting(p -> p.getFileName().toString()).containsExactly(id(32) + "-0.journal");
        }
        assembler.flush();
        assertThat(Files.readAllBytes(outbox.resolve("small.bin"))).isEqualTo(small);
        for (Chunk c : unfinished.subList(1, unfinished.size())) {
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("unfinished.bin"))).isEqualTo(bytes(4000, 32));
        try (Stream<Path> journal = Files.list(state.resolve("assemblies"))) {
            assertThat(journal).as("each entry deleted with its delivery").isEmpty();
        }
    }

    @Test
    void aLostStateVolumeDoesNotDeliverAgainWhatHasAReceipt() throws Exception {
        byte[] content = bytes(3500, 40);
        List<Chunk> chunks = chunksOf(id(40), 0, "lost/volume.bin", content);
        for (Chunk c : chunks) {
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("lost/volume.bin"))).isEqualTo(content);
        assembler.close();
        Files.delete(outbox.resolve("lost/volume.bin")); // a downstream reader took it
        deleteTree(state); // the state volume is lost; the receipts topic is not
        Files.createDirectories(state);

        assembler = newAssembler();
        for (Chunk c : chunks) { // read again from the safe offset
            feed(c);
        }
        assertThat(outbox.resolve("lost/volume.bin")).as("not delivered a second time").doesNotExist();
        assertThat(receipts.recorded()).hasSize(1);
        assertStagingEmpty();
    }

    @Test
    void aReceiptWrittenByAnotherInstanceMeanwhileStopsTheDelivery() throws Exception {
        List<Chunk> chunks = chunksOf(id(41), 0, "raced.bin", bytes(2500, 41));
        List<String> acked = new ArrayList<>();
        assembler.accept(chunks.get(0), P0, () -> acked.add("first"));
        assembler.accept(chunks.get(1), P0, () -> acked.add("second"));
        // Another instance owned the partition for a while and delivered it: its receipt is in the topic.
        receipts.record(
                List.of(new Receipt.Subject(id(41), 0, "raced.bin", 2500, null).delivered("raced.bin", "00", "other")));
        Files.createDirectories(outbox);
        assembler.accept(chunks.get(2), P0, () -> acked.add("third"));
        assembler.flush();

        assertThat(outbox.resolve("raced.bin")).as("delivered once, by the other instance").doesNotExist();
        assertThat(acked).containsExactlyInAnyOrder("first", "second", "third");
        assertThat(receipts.recorded()).hasSize(1);
        assertStagingEmpty();
    }

    @Test
    void aDeliveryWhoseReceiptFailsKeepsItsOffsetAndSucceedsOnRetryWithoutASecondCopy() throws Exception {
        byte[] content = bytes(2500, 42);
        List<Chunk> chunks = chunksOf(id(42), 0, "retry.bin", content);
        List<String> acked = new ArrayList<>();
        assembler.accept(chunks.get(0), P0, () -> acked.add("first"));
        assembler.accept(chunks.get(1), P0, () -> acked.add("second"));
        assembler.accept(chunks.get(2), P0, () -> acked.add("third"));
        receipts.failRefreshes(1);
        assertThatThrownBy(assembler::flush).isInstanceOf(IOException.class);
        assertThat(outbox.resolve("retry.bin")).as("receipts unreadable: nothing published").doesNotExist();
        receipts.failRecords(1);
        assertThatThrownBy(assembler::flush).isInstanceOf(IOException.class);
        assertThat(acked).as("the first record stays held while no receipt is recorded").containsExactly("second",
                "third");

        assembler.flush();

        assertThat(Files.readAllBytes(outbox.resolve("retry.bin"))).isEqualTo(content);
        assertThat(outbox.resolve("retry (2).bin")).doesNotExist();
        assertThat(acked).containsExactly("second", "third", "first");
        assertThat(receipts.recorded()).singleElement().extracting(Receipt::outcome, Receipt::target, Receipt::sha256)
                .containsExactly(Receipt.Outcome.DELIVERED, "retry.bin", sha256Hex(content));
        assertStagingEmpty();
    }

    @Test
    void aCrashBetweenPublishingAndTheReceiptFindsTheFileInPlaceAfterTheRestart() throws Exception {
        byte[] content = bytes(2500, 43);
        List<Chunk> chunks = chunksOf(id(43), 0, "crash.bin", content);
        for (Chunk c : chunks) {
            assembler.accept(c, P0, () -> {
            });
        }
        assembler.sync();
        receipts.failRecords(1);
        assertThatThrownBy(assembler::flush).isInstanceOf(IOException.class);
        assertThat(outbox.resolve("crash.bin")).exists();

        assembler = newAssemblerAfterCrash();
        for (Chunk c : chunks) {
            feed(c);
        }

        assertThat(Files.readAllBytes(outbox.resolve("crash.bin"))).isEqualTo(content);
        assertThat(outbox.resolve("crash (2).bin")).as("found in place, not delivered again").doesNotExist();
        assertThat(receipts.recorded()).singleElement().extracting(Receipt::outcome)
                .isEqualTo(Receipt.Outcome.DELIVERED);
        assertStagingEmpty();
    }

    private static String sha256Hex(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private Assembler newAssemblerAfterCrash() throws IOException {
        // Simulates a crash: nothing is closed or synced.
        return newAssembler();
    }

    @Test
    void aTransferClaimingMoreThanTheMaxFileSizeIsRefusedBeforeTheDisk() throws Exception {
        replaceAssembler(new Assembler.Limits(10_000, 1000, 64, Duration.ofDays(7), Assembler.Limits.EVICT_IDLE));
        List<Chunk> big = chunksOf(id(40), 0, "too-big.bin", bytes(12_000, 40));
        assertThatThrownBy(() -> feed(big.get(0))).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("transfer claims 12000 bytes, more than this consumer takes")
                .hasMessageContaining("ferry.max-file-size 10000");
        assertThat(assembler.inProgress()).isZero();
        assertStagingEmpty();
    }

    @Test
    void aClaimedHugeCountCostsWhatArrivedNotWhatWasClaimed() throws Exception {
        // 2^30 chunks of 1 KiB (1 TiB): a plain bit set for its last chunk alone would take 128 MiB.
        int count = 1 << 30;
        long size = (long) count * 1024;
        Chunk first = new Chunk(id(41), 0, "sparse.bin", 0, count, 0, size, 0, 0644, new byte[1024], null);
        Chunk late = new Chunk(id(41), 0, "sparse.bin", count - 2, count, (long) (count - 2) * 1024, size, 0, 0644,
                new byte[1024], null);
        Assembly a = new Assembly(first, P0, root.resolve("sparse.part"), new RoaringBitmap());
        a.write(first);
        a.write(late);
        a.closeIdle();
        long bitmapBytes = a.received.getSizeInBytes() + a.durable.getSizeInBytes();
        System.out.printf("Chunk bitmaps of a transfer claiming %d chunks, 2 received: %d bytes%n", count, bitmapBytes);
        assertThat(bitmapBytes).isLessThan(1024);
        assertThat(a.chunksReceived()).isEqualTo(2);
    }

    @Test
    void aChunkOffTheFirstChunksGridIsRefused() throws Exception {
        List<Chunk> chunks = chunksOf(id(42), 0, "grid.bin", bytes(4000, 42));
        feed(chunks.get(0));
        Chunk shorter = chunks.get(1);
        Chunk offGrid = new Chunk(shorter.transferId(), 0, shorter.path(), 1, shorter.count(), shorter.offset(),
                shorter.size(), 0, 0644, Arrays.copyOf(shorter.data(), 500), null);
        assertThatThrownBy(() -> feed(offGrid)).isInstanceOf(InvalidRecordException.class).hasMessageContaining(
                "chunks of 500 bytes; earlier chunks said grid.bin, 4000 bytes, 4 chunks of " + CHUNK + " bytes");
        for (Chunk c : chunks.subList(1, chunks.size())) {
            feed(c);
        }
        assertThat(outbox.resolve("grid.bin")).exists();
    }

    @Test
    void openStagingFilesStayUnderTheCapWhateverNumberOfTransfersIsUnfinished() throws Exception {
        Path staging = outbox.resolve(".ferry/staging/test").toRealPath();
        for (int i = 0; i < 300; i++) {
            feed(chunksOf(id(1000 + i), 0, "many/f" + i, bytes(3000, i)).get(0));
        }
        long open = OpenFiles.under(staging);
        System.out.printf("300 unfinished transfers: %d staging files open (cap %d)%n", open,
                Assembler.Limits.MAX_OPEN_FILES);
        assertThat(assembler.inProgress()).isEqualTo(300);
        assertThat(open).isLessThanOrEqualTo(Assembler.Limits.MAX_OPEN_FILES);
        for (int i = 0; i < 300; i++) {
            for (Chunk c : chunksOf(id(1000 + i), 0, "many/f" + i, bytes(3000, i)).subList(1, 3)) {
                feed(c);
            }
        }
        assembler.flush();
        assertThat(Files.readAllBytes(outbox.resolve("many/f299"))).isEqualTo(bytes(3000, 299));
        assertThat(assembler.inProgress()).isZero();
    }

    @Test
    void aNewTransferBeyondTheCapIsRefusedWithAFailedReceiptAndOneChunkFilesStillArrive() throws Exception {
        replaceAssembler(new Assembler.Limits(1L << 40, 3, 64, Duration.ofDays(7), Assembler.Limits.EVICT_IDLE));
        for (int i = 0; i < 3; i++) {
            feed(chunksOf(id(50 + i), 0, "cap/held" + i, bytes(3000, i)).get(0));
        }
        List<Chunk> refused = chunksOf(id(53), 0, "cap/refused.bin", bytes(3000, 53));
        for (Chunk c : refused) {
            feed(c);
        }
        feed(chunksOf(id(54), 0, "cap/small.bin", bytes(500, 54)).get(0));

        assertThat(assembler.inProgress()).as("the three held, nothing of the refused one").isEqualTo(3);
        assertThat(assembler.refusedForCapacity()).isEqualTo(1);
        assertThat(outbox.resolve("cap/small.bin")).as("one-chunk files are never refused").exists();
        assertThat(outbox.resolve("cap/refused.bin")).doesNotExist();
        assembler.writeFailureReceipts();
        assertThat(receipts.find(id(53))).get().extracting(Receipt::outcome, Receipt::reason).satisfies(v -> {
            assertThat(v.get(0)).isEqualTo(Receipt.Outcome.FAILED);
            assertThat((String) v.get(1)).contains("ferry.max-unfinished-transfers");
        });
        assertThat(receipts.recorded()).as("one receipt for the refused transfer, not one per chunk")
                .filteredOn(r -> r.transfer().equals(id(53))).hasSize(1);
    }

    @Test
    void atTheCapTheLongestIdleUnfinishedTransferMakesRoomForANewOne() throws Exception {
        replaceAssembler(new Assembler.Limits(1L << 40, 2, 64, Duration.ofDays(7), Duration.ZERO));
        feed(chunksOf(id(70), 0, "junk/a", bytes(3000, 70)).get(0)); // first chunks whose rest never comes
        feed(chunksOf(id(71), 0, "junk/b", bytes(3000, 71)).get(0));
        List<Chunk> real = chunksOf(id(72), 0, "real.bin", bytes(3000, 72));
        for (Chunk c : real) {
            feed(c);
        }
        assertThat(Files.readAllBytes(outbox.resolve("real.bin"))).isEqualTo(bytes(3000, 72));
        assertThat(assembler.refusedForCapacity()).isZero();
        assertThat(assembler.abandonedTransfers()).as("junk/a, idle longest, made room").isEqualTo(1);
        assembler.writeFailureReceipts();
        assertThat(receipts.find(id(70))).get().extracting(Receipt::reason).asString().contains("to make room")
                .contains("ferry.max-unfinished-transfers");
        assertThat(receipts.find(id(71))).isEmpty();
    }

    @Test
    void namesAtTheFileSystemsLimitAreDeliveredNumberedAndQuarantined() throws Exception {
        String longName = "n".repeat(251) + ".bin"; // 255 bytes, the most Linux takes
        Files.write(outbox.resolve(longName), bytes(10, 99)); // a different file is there: keep-both numbers it
        byte[] content = bytes(2500, 60);
        for (Chunk c : chunksOf(id(60), 0, longName, content)) {
            feed(c);
        }
        assembler.flush();
        try (Stream<Path> files = Files.list(outbox)) {
            Path numbered = files.filter(f -> f.getFileName().toString().contains(" (2)")).findFirst().orElseThrow();
            assertThat(numbered.getFileName().toString()).endsWith(" (2).bin");
            assertThat(numbered.getFileName().toString().getBytes(StandardCharsets.UTF_8).length)
                    .isLessThanOrEqualTo(255);
            assertThat(Files.readAllBytes(numbered)).isEqualTo(content);
        }

        List<Chunk> bad = new ArrayList<>(chunksOf(id(61), 0, "q/" + longName, bytes(2500, 61)));
        Chunk last = bad.get(bad.size() - 1);
        bad.set(bad.size() - 1, new Chunk(last.transferId(), 0, last.path(), last.index(), last.count(), last.offset(),
                last.size(), 0, 0644, last.data(), new byte[32])); // wrong hash
        for (Chunk c : bad) {
            feed(c);
        }
        assembler.flush();
        try (Stream<Path> quarantined = Files.list(outbox.resolve(".ferry/quarantine"))) {
            assertThat(quarantined.map(f -> f.getFileName().toString()))
                    .anySatisfy(n -> assertThat(n).startsWith(id(61) + "-0-nnn").endsWith(".reason"))
                    .allSatisfy(n -> assertThat(n.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255));
        }
        assertThat(receipts.find(id(61))).get().extracting(Receipt::outcome).isEqualTo(Receipt.Outcome.QUARANTINED);
    }

    @Test
    void quarantinedFilesOlderThanTheRetentionAreDeleted() throws Exception {
        replaceAssembler(new Assembler.Limits(1L << 40, 1000, 64, Duration.ofMinutes(1), Assembler.Limits.EVICT_IDLE));
        Path quarantine = outbox.resolve(".ferry/quarantine");
        Path old = Files.write(quarantine.resolve("old"), new byte[1]);
        Path oldReason = Files.writeString(quarantine.resolve("old.reason"), "x");
        Path fresh = Files.write(quarantine.resolve("fresh"), new byte[1]);
        Path freshReason = Files.writeString(quarantine.resolve("fresh.reason"), "x");
        FileTime hourAgo = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        Files.setLastModifiedTime(old, hourAgo);
        Files.setLastModifiedTime(oldReason, hourAgo);
        assembler.sweepQuarantine();
        assertThat(old).doesNotExist();
        assertThat(oldReason).doesNotExist();
        assertThat(fresh).exists();
        assertThat(freshReason).exists();
    }

    @Test
    void aRecordRefusedForAWriteTheFileSystemRejectsDropsItsAttempt() throws Exception {
        List<Chunk> chunks = chunksOf(id(62), 0, "refused.bin", bytes(3000, 62));
        feed(chunks.get(0));
        assertThat(assembler.inProgress()).isEqualTo(1);
        assembler.refused(id(62), 0, "refused.bin", P0, "File too large", true);
        assertThat(assembler.inProgress()).isZero();
        assertStagingEmpty();
        assembler.writeFailureReceipts();
        assertThat(receipts.find(id(62))).get().extracting(Receipt::outcome).isEqualTo(Receipt.Outcome.FAILED);
    }

    @Test
    void theJournalReadsBackAPartitionOfATopicWithDashes() throws Exception {
        TopicPartition tp = new TopicPartition("ferry-chunks.my-route", 12);
        assertThat(Journal.partitionOf(tp.toString())).isEqualTo(tp);
        assertThatThrownBy(() -> Journal.partitionOf("no-partition")).isInstanceOf(IOException.class);
    }

    @Test
    void recordFaultsAreToldFromTheEnvironments() {
        assertThat(RecordFaults.isRecordFault(new FileSystemException("/o/x", null, "File name too long"))).isTrue();
        assertThat(RecordFaults.isRecordFault(new IOException("File too large"))).isTrue();
        assertThat(RecordFaults.isRecordFault(new IOException("No space left on device"))).isFalse();
        assertThat(RecordFaults.isRecordFault(new AccessDeniedException("/o/x"))).isFalse();
    }

    private void assertStagingEmpty() throws IOException {
        try (Stream<Path> staged = Files.list(outbox.resolve(".ferry/staging/test"))) {
            assertThat(staged).isEmpty();
        }
    }
}
