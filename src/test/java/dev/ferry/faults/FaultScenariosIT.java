package dev.ferry.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.ferry.testing.FerryProcess;
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
                .until(() -> Files.exists(p.log()) && Files.readString(p.log()).contains(text));
    }

    /** Waits until the process log contains one of {@code texts}; returns the first found. */
    static String awaitAnyLog(FerryProcess p, Duration limit, String... texts) {
        String[] found = new String[1];
        await().atMost(limit).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!Files.exists(p.log())) {
                return false;
            }
            String log = Files.readString(p.log());
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
                awaitLog(consumer, "Consumer delivering to", Duration.ofSeconds(60));
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
                        "(large/big.bin): resuming", "sent files wait for their receipt", "(large/big.bin): delivered");
                if (!seen.contains("(large/big.bin): s") && !seen.contains("resuming")) {
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
            assertThat(rig.watch.violations()).filteredOn(v -> !v.startsWith("source of")).isEmpty();
            assertThat(report.findings()).filteredOn(f -> f.kind().isDifference)
                    .as("only the files taken downstream are missing: nothing delivered twice")
                    .allMatch(f -> f.kind() == Verifier.Kind.MISSING && taken.contains(f.path())).hasSize(taken.size());
            assertThat(rig.identicalFiles()).isEqualTo(rig.expected.size());
            String log = Files.readString(fresh.log());
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
            rig.producer(Map.of("FERRY_RATE_LIMIT", FULL ? "64M" : "16M"));
            FerryProcess consumer = rig.consumer(0, Map.of());
            awaitLog(consumer, "(large/big.bin): assembling", Duration.ofSeconds(60));
            pauseRandomly(500, 2000);
            long stopping = System.nanoTime();
            assertThat(consumer.stop(Duration.ofSeconds(30))).as("graceful exit on SIGTERM").isEqualTo(143);
            Duration took = Duration.ofNanos(System.nanoTime() - stopping);
            assertThat(took).as("well within a 30 s grace period").isLessThan(Duration.ofSeconds(15));
            rig.consumer(0, Map.of());
            Verifier.Report report = rig.awaitDelivered(Duration.ofMinutes(FULL ? 30 : 5));
            FaultSummary.record(rig, "8 consumer SIGTERM under load",
                    String.format("1 SIGTERM mid-file (exit in %.1f s)", took.toMillis() / 1000.0), report);
            assertClean(rig, report);
        }
    }
}
