package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerTest {

    @TempDir
    Path state;

    @Test
    void attemptsGrowAndSentFilesAreRememberedAcrossRestarts() throws Exception {
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.startAttempt("t1", "a b/c.txt", 3).attempt()).isZero();
            ledger.ended("t1", 0);
            assertThat(ledger.startAttempt("t1", "a b/c.txt", 5).attempt()).isEqualTo(1);
            ledger.sent("t1", 1, 42, "ab12");
        }
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.isSent("t1")).isTrue();
            assertThat(ledger.isSent("t2")).isFalse();
            assertThat(ledger.awaitingReceipt()).singleElement().satisfies(e -> {
                assertThat(e.path()).as("paths with spaces survive").isEqualTo("a b/c.txt");
                assertThat(e.partition()).isEqualTo(5);
                assertThat(e.size()).as("what was sent, for checking its receipt").isEqualTo(42);
                assertThat(e.sha256()).isEqualTo("ab12");
            });
            ledger.done("t1");
            assertThat(ledger.startAttempt("t1", "a b/c.txt", 0).attempt()).as("attempt numbers never repeat")
                    .isEqualTo(2);
        }
    }

    /** Many small files sent at once share fsyncs, and every event is still there after a restart. */
    @Test
    void concurrentSendersShareFsyncsAndLoseNothing() throws Exception {
        int files = 400;
        int threads = 32;
        long fsyncs;
        // An fsync of 2 ms, as on a busy disk: the test does not depend on how fast this machine's disk is.
        try (Ledger ledger = new Ledger(state, channel -> {
            LockSupport.parkNanos(2_000_000);
            channel.force(false);
        })) {
            ExecutorService senders = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < files; i++) {
                String id = "t" + i;
                done.add(senders.submit(() -> {
                    go.await();
                    Ledger.Entry e = ledger.startAttempt(id, "batch/" + id, 0);
                    ledger.sent(id, e.attempt(), 4096, "ab" + id);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(1, TimeUnit.MINUTES);
            }
            senders.shutdown();
            fsyncs = ledger.fsyncs();
        }
        System.out.printf("Ledger: %d events of %d files with %d senders took %d fsyncs%n", 2 * files, files, threads,
                fsyncs);
        assertThat(fsyncs).as("fsyncs for %d events (one each before)", 2 * files).isLessThan(files / 4);
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.awaitingReceipt()).hasSize(files)
                    .allSatisfy(e -> assertThat(e.sha256()).isEqualTo("ab" + e.transferId()));
        }
    }

    @Test
    void aFileSentAloneCostsOneFsyncAndItsSentLineSurvivesTheProcess() throws Exception {
        int files = 100;
        long fsyncs;
        try (Ledger ledger = new Ledger(state)) {
            for (int i = 0; i < files; i++) {
                Ledger.Entry e = ledger.startAttempt("t" + i, "one/by/one-" + i, 0);
                ledger.sent("t" + i, e.attempt(), 4096, "cd" + i);
            }
            fsyncs = ledger.fsyncs();
        }
        System.out.printf("Ledger: %d files sent one after the other took %d fsyncs%n", files, fsyncs);
        // The start of an attempt is durable before its first chunk leaves; "sent" rides on the next fsync.
        assertThat(fsyncs).as("fsyncs for %d files sent one at a time (two each before)", files).isEqualTo(files);
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.awaitingReceipt()).hasSize(files);
            assertThat(ledger.isSent("t" + (files - 1))).isTrue();
        }
    }

    @Test
    void anInterruptedAttemptIsResumedFromItsRecordedProgressOnItsPartition() throws Exception {
        try (Ledger ledger = new Ledger(state)) {
            ledger.startAttempt("big", "big.iso", 4);
            ledger.progress("big", 0, 100);
            ledger.progress("big", 0, 250);
            ledger.progress("big", 0, 200); // never backwards
        }
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.interrupted("big")).get().satisfies(e -> {
                assertThat(e.attempt()).isZero();
                assertThat(e.partition()).isEqualTo(4);
                assertThat(e.next()).isEqualTo(250);
            });
            ledger.ended("big", 0);
        }
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.interrupted("big")).as("an ended attempt is not resumed").isEmpty();
            assertThat(ledger.isSent("big")).isFalse();
        }
    }

    @Test
    void aLedgerWrittenBeforeSizesAndHashesWereRecordedIsStillRead() throws Exception {
        Files.writeString(state.resolve("producer-ledger"), "A t1 0 2 old.txt\nS t1 0\n", StandardCharsets.UTF_8);
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.awaitingReceipt()).singleElement().satisfies(e -> {
                assertThat(e.attempt()).isZero();
                assertThat(e.size()).isEqualTo(-1);
                assertThat(e.sha256()).as("unknown: its receipt is checked on the attempt alone").isNull();
            });
        }
    }

    @Test
    void aTornLastLineFromACrashIsIgnored() throws Exception {
        try (Ledger ledger = new Ledger(state)) {
            ledger.startAttempt("t1", "x", 0);
            ledger.sent("t1", 0, 1, null);
        }
        Files.writeString(state.resolve("producer-ledger"), "A t2 ", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.isSent("t1")).isTrue();
            assertThat(ledger.startAttempt("t2", "y", 0).attempt()).isZero();
        }
    }
}
