package dev.ferry.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.ProcessLog;
import dev.ferry.verify.Verifier;

/**
 * The fault scenarios of the crash-proof delivery promise, against real Kafka brokers and the packaged application in
 * separate processes. In CI they run at a small scale; {@code faults/run.sh} runs them with
 * {@code -Dferry.faults.full=true} (50+ consumer kills, a 1 GiB file, longer schedules) and prints the summary table.
 * Each ends with the same checks: the verify tool finds the outbox identical to what was sent, nothing twice, no
 * partial file was ever seen in the outbox, no source deleted before delivery, staging empty.
 */
class FaultScenariosIT {

    static final boolean FULL = Boolean.getBoolean("ferry.faults.full");
    static final long LARGE = FULL ? 1L << 30 : 48L << 20;
    static final int SMALL = FULL ? 200 : 30;
    static final Random RANDOM = new Random(Long.getLong("ferry.faults.seed", System.nanoTime()));

    /** Milliseconds in [from, to): when the next fault strikes. A schedule, not a wait for a condition. */
    static void pauseRandomly(long fromMillis, long toMillis) {
        long millis = fromMillis + (long) (RANDOM.nextDouble() * (toMillis - fromMillis));
        await().pollDelay(Duration.ofMillis(millis)).atMost(Duration.ofMillis(millis + 1000)).until(() -> true);
    }

    static void awaitLog(FerryProcess p, String text, Duration limit) {
        await().atMost(limit).pollInterval(Duration.ofMillis(100))
                .until(() -> Files.exists(p.log()) && ProcessLog.text(p.log()).contains(text));
    }

    /** Waits until the process log contains one of {@code texts}; returns the first found. */
    static String awaitAnyLog(FerryProcess p, Duration limit, String... texts) {
        String[] found = new String[1];
        await().atMost(limit).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!Files.exists(p.log())) {
                return false;
            }
            String log = ProcessLog.text(p.log());
            for (String t : texts) {
                if (log.contains(t)) {
                    found[0] = t;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    static void assertClean(FaultRig rig, Verifier.Report report) {
        assertThat(rig.watch.violations()).as("seen in the outbox or inbox while faults ran").isEmpty();
        assertThat(report.findings()).as("verify findings").filteredOn(f -> f.kind().isDifference).isEmpty();
        assertThat(report.identical()).isEqualTo(rig.expected.size());
        assertThat(report.sent()).isEqualTo(rig.expected.size());
        assertThat(report.count(Verifier.Kind.DUPLICATE)).isZero();
    }

    @Test
    void consumerKilledAtRandomMomentsManyTimes() throws Exception {
        int kills = FULL ? 55 : 8;
        try (FaultRig rig = new FaultRig("consumer-kills", 1)) {
            rig.writeMix(LARGE, SMALL);
            FerryProcess producer = rig.producer(Map.of());
            for (int k = 0; k < kills; k++) {
                FerryProcess consumer = rig.consumer(0, Map.of());
                awaitLog(consumer, "Consumer: group", Duration.ofSeconds(60));
                pauseRandomly(0, FULL ? 4000 : 2500);
                consumer.close(); // SIGKILL
                if (k == kills / 2) {
                    for (int i = 0; i < 10; i++) { // files arriving while the consumer keeps dying
                        rig.write("mid/f" + i + ".dat", 50_000 + 31L * i, 700 + i);
                    }
                }
            }
            FerryProcess last = rig.consumer(0, Map.of());
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(FULL ? 30 : 5));
            FaultSummary.record(rig, "1 consumer SIGKILL loop", kills + " consumer SIGKILLs", report);
            assertClean(rig, report);
            assertThat(last.isAlive()).isTrue();
            assertThat(producer.isAlive()).isTrue();
        }
    }

    @Test
    void producerKilledMidFileResumesAndDeletesTheSourceOnlyAfterDelivery() throws Exception {
        int kills = FULL ? 10 : 3;
        try (FaultRig rig = new FaultRig("producer-kills", 1)) {
            rig.writeMix(LARGE, SMALL);
            FerryProcess consumer = rig.consumer(0, Map.of());
            Map<String, String> slow = Map.of("FERRY_RATE_LIMIT", FULL ? "16M" : "4M");
            int done = 0;
            for (int k = 0; k < kills; k++) {
                FerryProcess producer = rig.producer(slow);
                String seen = awaitAnyLog(producer, Duration.ofSeconds(60), "(large/big.bin): sending",
                        "(large/big.bin): resuming", "(large/big.bin): delivered");
                if (seen.endsWith("delivered")) {
                    break; // the large file is through: nothing left to interrupt
                }
                pauseRandomly(1200, 3000); // past the first progress record (every second)
                producer.close(); // SIGKILL mid-file
                done++;
            }
            kills = done;
            assertThat(kills).as("the producer was killed mid-file at least once").isPositive();
            rig.producer(slow);
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(FULL ? 30 : 5));
            FaultSummary.record(rig, "2 producer SIGKILL mid-file", kills + " producer SIGKILLs", report);
            assertClean(rig, report);
            assertThat(rig.logsContain("(large/big.bin): resuming attempt 0 at chunk")).as("resumed, not restarted")
                    .isTrue();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(rig.inbox.resolve("large/big.bin"))
                    .as("source deleted once delivered").doesNotExist());
            assertThat(consumer.isAlive()).isTrue();
        }
    }

    @Test
    void brokerKilledAndRestartedMidTransfer() throws Exception {
        int restarts = FULL ? 5 : 2;
        try (FaultRig rig = new FaultRig("broker-restart", 1)) {
            rig.writeMix(LARGE, SMALL);
            FerryProcess consumer = rig.consumer(0, Map.of());
            FerryProcess producer = rig.producer(Map.of("FERRY_RATE_LIMIT", FULL ? "64M" : "16M"));
            awaitLog(consumer, "(large/big.bin): assembling", Duration.ofSeconds(60));
            for (int r = 0; r < restarts; r++) {
                pauseRandomly(500, 2500);
                rig.cluster.kill(0);
                rig.cluster.restart(0);
            }
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(FULL ? 30 : 6));
            FaultSummary.record(rig, "3 broker SIGKILL + restart", restarts + " broker SIGKILLs", report);
            assertClean(rig, report);
            assertThat(consumer.isAlive()).isTrue();
            assertThat(producer.isAlive()).isTrue();
        }
    }

    @Test
    void consumerStateWipedWhileDownDeliversEverythingAndNothingTwice() throws Exception {
        try (FaultRig rig = new FaultRig("wiped-state", 1)) {
            rig.writeMix(FULL ? LARGE : 8L << 20, SMALL);
            FerryProcess producer = rig.producer(Map.of());
            FerryProcess consumer = rig.consumer(0, Map.of());
            rig.awaitDelivered(Duration.ofMinutes(FULL ? 20 : 3));
            consumer.close(); // SIGKILL right after delivery: offsets of the last files are not committed yet
            // A downstream reader takes some delivered files away; they must not come back.
            List<String> taken = new ArrayList<>();
            for (String path : rig.expected.keySet()) {
                if (path.startsWith("small/") && taken.size() < 5) {
                    rig.watch.ignore(path);
                    Files.delete(rig.outbox.resolve(path));
                    taken.add(path);
                }
            }
            FaultRig.deleteTree(rig.consumerState(0)); // the persistent volume is lost
            // Worst case: the group's offsets are gone too, so the whole topic is read again.
            rig.resetGroupToEarliest("consumer-0");
            int delivered = rig.expected.size();
            for (int i = 0; i < 10; i++) {
                rig.write("after/f" + i + ".dat", 100_000 + i, 900 + i);
            }
            FerryProcess fresh = rig.consumer(0, Map.of());
            for (String path : taken) {
                rig.expected.remove(path); // gone downstream: expected absent from now on
            }
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                for (int i = 0; i < 10; i++) {
                    if (!Files.exists(rig.outbox.resolve("after/f" + i + ".dat"))) {
                        return false;
                    }
                }
                return true;
            });
            Verifier.Report report = rig.verify();
            FaultSummary.record(rig, "4 consumer state dir wiped",
                    "state dir deleted, offsets reset to 0, 5 files taken downstream", report,
                    "only the 5 taken files missing");
            assertThat(rig.watch.violations()).isEmpty();
            assertThat(report.findings()).filteredOn(f -> f.kind().isDifference)
                    .as("only the files taken downstream are missing: nothing delivered twice")
                    .allMatch(f -> f.kind() == Verifier.Kind.MISSING && taken.contains(f.path())).hasSize(taken.size());
            assertThat(rig.identicalFiles()).isEqualTo(rig.expected.size());
            String log = ProcessLog.text(fresh.log());
            assertThat(log).contains("0 transfers resumed");
            assertThat(log.split("\\): already delivered as ", -1).length - 1)
                    .as("every transfer read again is recognised by its receipt").isGreaterThanOrEqualTo(delivered);
            assertThat(producer.isAlive()).isTrue();
        }
    }

    @Test
    void consumerStoppedGracefullyUnderLoadExitsQuicklyAndLosesNothing() throws Exception {
        try (FaultRig rig = new FaultRig("graceful-stop", 1)) {
            rig.writeMix(LARGE, SMALL);
            rig.producer(Map.of("FERRY_RATE_LIMIT", FULL ? "32M" : "4M"));
            FerryProcess consumer = rig.consumer(0, Map.of());
            awaitLog(consumer, "(large/big.bin): assembling", Duration.ofSeconds(60));
            var from = Pattern.compile("\\(large/big.bin\\): assembling .* from \\S+-(\\d+)")
                    .matcher(ProcessLog.text(consumer.log()));
            assertThat(from.find()).isTrue();
            int bigPartition = Integer.parseInt(from.group(1));
            // The other files are delivered; the large one is mid-way when the stop comes.
            await().atMost(Duration.ofMinutes(2)).until(() -> rig.expected.keySet().stream()
                    .filter(p -> !p.equals("large/big.bin")).allMatch(p -> Files.exists(rig.outbox.resolve(p))));
            pauseRandomly(500, 2000);
            long stopping = System.nanoTime();
            assertThat(consumer.stop(Duration.ofSeconds(30))).as("graceful exit on SIGTERM").isEqualTo(143);
            Duration took = Duration.ofNanos(System.nanoTime() - stopping);
            assertThat(took).as("well within a 30 s grace period").isLessThan(Duration.ofSeconds(15));
            assertThat(rig.outbox.resolve("large/big.bin")).as("still in flight when stopped").doesNotExist();
            // Safe offsets committed on the way out: every partition without an unfinished file is committed to its
            // end; the large file's partition stays behind it.
            Map<Integer, long[]> offsets = rig.committedAndEndOffsets();
            offsets.forEach((partition, committedAndEnd) -> {
                if (partition != bigPartition) {
                    assertThat(committedAndEnd[0]).as("partition " + partition + " committed to its end")
                            .isEqualTo(committedAndEnd[1]);
                } else {
                    assertThat(committedAndEnd[0]).as("the unfinished file's partition").isLessThan(committedAndEnd[1]);
                }
            });
            rig.consumer(0, Map.of());
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(FULL ? 30 : 5));
            FaultSummary.record(rig, "8 consumer SIGTERM under load",
                    String.format("1 SIGTERM mid-file (exit in %.1f s)", took.toMillis() / 1000.0), report);
            assertClean(rig, report);
        }
    }

    @Test
    void consumersJoiningLeavingAndDyingMidFileDeliverEverythingOnce() throws Exception {
        int events = FULL ? 24 : 6;
        try (FaultRig rig = new FaultRig("rebalance", 1)) {
            rig.writeMix(LARGE, SMALL);
            rig.producer(Map.of("FERRY_RATE_LIMIT", FULL ? "24M" : "6M"));
            FerryProcess[] consumers = new FerryProcess[3];
            consumers[0] = rig.consumer(0, Map.of());
            consumers[1] = rig.consumer(1, Map.of());
            await().atMost(Duration.ofSeconds(60)).until(() -> rig.logsContain("(large/big.bin): assembling"));
            int kills = 0;
            int stops = 0;
            int starts = 0;
            for (int e = 0; e < events; e++) {
                pauseRandomly(1000, 4000);
                int i = RANDOM.nextInt(3);
                if (consumers[i] == null || !consumers[i].isAlive()) {
                    consumers[i] = rig.consumer(i, Map.of());
                    starts++;
                } else if (RANDOM.nextBoolean()) {
                    consumers[i].close(); // SIGKILL: its static membership holds its partitions until it is back
                    kills++;
                } else {
                    assertThat(consumers[i].stop(Duration.ofSeconds(30))).isEqualTo(143);
                    stops++;
                }
            }
            for (int i = 0; i < 3; i++) {
                if (consumers[i] == null || !consumers[i].isAlive()) {
                    consumers[i] = rig.consumer(i, Map.of());
                    starts++;
                }
            }
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(FULL ? 30 : 6));
            long assigned = rig.countInLogs("Partitions assigned: [");
            int moves = rig.partitionMoves();
            long assembledBy = rig.countInLogs("(large/big.bin): assembling");
            long resumed = rig.countInLogs("(large/big.bin): resuming with");
            String faults = String.format(
                    "%d SIGKILL, %d SIGTERM, %d starts of 3 consumers; %d assignments, %d partition moves; "
                            + "large file started %d times, resumed from staging %d times",
                    kills, stops, starts, assigned, moves, assembledBy, resumed);
            FaultSummary.record(rig, "5 consumers join, leave, die", faults, report);
            assertClean(rig, report);
        }
    }

    @Test
    void oneOfThreeBrokersKilledMidTransferLosesNothing() throws Exception {
        try (FaultRig rig = new FaultRig("three-brokers", 3)) {
            rig.writeMix(LARGE, SMALL);
            rig.producer(Map.of("FERRY_RATE_LIMIT", FULL ? "64M" : "16M"));
            FerryProcess consumer = rig.consumer(0, Map.of());
            awaitLog(consumer, "(large/big.bin): assembling", Duration.ofSeconds(90));
            pauseRandomly(500, 2500);
            int victim = RANDOM.nextInt(3);
            rig.cluster.kill(victim);
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(FULL ? 30 : 6));
            FaultSummary.record(rig, "6 3 brokers, RF 3, min ISR 2",
                    "broker " + (victim + 1) + " SIGKILLed, " + "left down", report);
            assertClean(rig, report);
        }
    }

    @Test
    void aFullDiskPausesTheConsumerWhichReportsNotReadyAndResumesByItself() throws Exception {
        try (FaultRig rig = new FaultRig("disk-full", 1)) {
            Path flag = rig.root.resolve("disk-full.flag");
            rig.writeMix(LARGE / 2, SMALL);
            rig.producer(Map.of("FERRY_RATE_LIMIT", "16M"));
            FerryProcess consumer = rig.consumer(0, Map.of(), "-Ddev.ferry.fault.disk-full=" + flag);
            awaitLog(consumer, "(large/big.bin): assembling", Duration.ofSeconds(60));
            Files.createFile(flag); // from now on every staging write fails with "No space left on device"
            await().atMost(Duration.ofSeconds(30)).until(() -> consumer.get("/q/health/ready") == 503);
            assertThat(consumer.get("/q/health/live")).as("alive, only not ready").isEqualTo(200);
            assertThat(rig.outbox.resolve("large/big.bin")).doesNotExist();
            pauseRandomly(2000, 4000); // the disk stays full for a while
            Files.delete(flag); // space returns
            await().atMost(Duration.ofSeconds(30)).until(() -> consumer.get("/q/health/ready") == 200);
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(5));
            String log = ProcessLog.text(consumer.log());
            assertThat(log).contains("No space left on device").contains("consumption paused")
                    .containsPattern("works again after \\d+ s; resumed");
            FaultSummary.record(rig, "7 disk full (fault point)", "staging writes fail until space returns", report);
            assertClean(rig, report);
            assertThat(consumer.isAlive()).isTrue();
        }
    }

    @Test
    void aFullTmpfsPausesTheConsumerWhichResumesWhenSpaceReturns() throws Exception {
        try (FaultRig rig = new FaultRig("tmpfs-full", 1)) {
            long capacity = 128L << 20;
            Assumptions.assumeTrue(Tmpfs.mount(rig.outbox, capacity),
                    "cannot mount a tmpfs here (needs root with mount rights): the disk-full fault point test "
                            + "covers this path; run as root to test a real full file system");
            try {
                Path ballast = rig.outbox.resolve(".ferry/ballast");
                Files.createDirectories(ballast.getParent());
                Tmpfs.fill(ballast, capacity - (4L << 20)); // leave 4 MiB: the large file cannot fit
                rig.writeMix(32L << 20, 30); // the same at every scale: it must fit the tmpfs once space returns
                rig.producer(Map.of());
                // The whole tmpfs is smaller than the default ferry.min-free-disk: this scenario is about writes
                // failing on a full file system, not about the free-space threshold (FolderCheckTest).
                FerryProcess consumer = rig.consumer(0, Map.of("FERRY_MIN_FREE_DISK", "1M"));
                await().atMost(Duration.ofSeconds(60)).until(() -> consumer.get("/q/health/ready") == 503);
                // Readiness turns before the line that explains it is written.
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> ProcessLog.text(consumer.log()).contains("No space left on device"));
                Files.delete(ballast); // space returns
                Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(5));
                assertThat(consumer.get("/q/health/ready")).isEqualTo(200);
                FaultSummary.record(rig, "7 disk full (real tmpfs)", "128 MiB tmpfs filled, then freed", report);
                assertClean(rig, report);
            } finally {
                rig.close();
                Tmpfs.unmount(rig.outbox);
            }
        }
    }

    @Test
    void sendsThatExpireAreNoticedAbortedAndRetried() throws Exception {
        try (FaultRig rig = new FaultRig("expiring-sends", 1)) {
            // Short timeouts so that expiry happens within the test; the defaults are 120 s and 30 s.
            Map<String, String> timeouts = Map.of("MP_MESSAGING_OUTGOING_CHUNKS_OUT_DELIVERY_TIMEOUT_MS", "8000",
                    "MP_MESSAGING_OUTGOING_CHUNKS_OUT_REQUEST_TIMEOUT_MS", "3000",
                    "MP_MESSAGING_OUTGOING_CHUNKS_OUT_MAX_BLOCK_MS", "5000", "FERRY_RATE_LIMIT", "4M");
            rig.writeMix(LARGE / 2, SMALL);
            FerryProcess consumer = rig.consumer(0, Map.of());
            // The consumer is up before the broker goes (a consumer starting while it goes stops with a clear error,
            // which is not what this test is about).
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> consumer.get("/q/health/ready") == 200);
            FerryProcess producer = rig.producer(timeouts);
            // Killed as soon as the producer starts the file: at 4 MB/s its 24 MiB take 6 s to read, so sends are
            // still in flight. (Waiting for the consumer's "assembling" instead raced on a slow machine: by the time
            // it was logged, the whole file could already be on the broker.)
            awaitLog(producer, "(large/big.bin): sending", Duration.ofSeconds(60));

            // 1. The broker is unreachable for longer than the delivery timeout.
            rig.cluster.kill(0);
            awaitLog(producer, "aborted: send failed", Duration.ofSeconds(60));
            rig.cluster.restart(0);
            rig.awaitDelivered(Duration.ofMinutes(5));

            // 2. The producer reads faster than the broker takes: a quota of 1 MB/s against a 32 MiB send window.
            rig.write("throttled/big.bin", 24L << 20, 4242);
            rig.setProducerQuota(1_000_000);
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                    .until(() -> ProcessLog.text(producer.log()).contains("(throttled/big.bin) attempt 0 aborted"));
            rig.setProducerQuota(-1);
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(5));
            String log = ProcessLog.text(producer.log());
            assertThat(log).contains("Expiring").as("an expired send in words")
                    .doesNotContain("Retries exhausted : 0 attempts");
            assertThat(log.indexOf("(throttled/big.bin) attempt 0 aborted: send failed"))
                    .as("the expired attempt is aborted, never counted as sent").isNotNegative()
                    .isLessThan(log.indexOf("(throttled/big.bin): sent"));
            assertThat(ProcessLog.text(consumer.log())).contains("(throttled/big.bin): failed [consumer]")
                    .contains("attempt 0 discarded; aborted by the producer");
            FaultSummary.record(rig, "9 expiring sends",
                    "broker down > delivery timeout; 1 MB/s quota vs 32 MiB " + "window", report);
            assertClean(rig, report);
        }
    }
}
