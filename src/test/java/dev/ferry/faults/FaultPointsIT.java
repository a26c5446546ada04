package dev.ferry.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import dev.ferry.fault.FaultPoints;
import dev.ferry.fault.FaultPoints.Point;
import dev.ferry.testing.FerryProcess;
import dev.ferry.verify.Verifier;

/**
 * Every crash window, hit on purpose: a process is started with {@code -Ddev.ferry.fault.halt=<point>@<n>}, halts there
 * as after SIGKILL, is started again normally, and every file still arrives once, whole. Random kills hit the wide
 * windows; this covers the narrow ones (between publishing a file and recording its receipt, between the receipt and
 * the source policy, ...).
 */
class FaultPointsIT {

    @Test
    void aCrashInEveryWindowLosesNothingAndDeliversNothingTwice() throws Exception {
        try (FaultRig rig = new FaultRig("fault-points", 1)) {
            // Slow enough that a file takes more than one sync interval (1 s), so staged chunks get journaled.
            FerryProcess producer = rig.producer(Map.of("FERRY_RATE_LIMIT", "4M"));
            int batch = 0;
            for (String point : new String[] { Point.CONSUMER_STAGED.id + "@5", Point.CONSUMER_JOURNALED.id,
                    Point.CONSUMER_PUBLISHED.id, Point.CONSUMER_RECEIPTED.id, Point.CONSUMER_RELEASED.id }) {
                FerryProcess faulty = rig.consumer(0, Map.of(), "-Ddev.ferry.fault.halt=" + point);
                // Files arrive while it runs (at the producer's 4 MiB/s), so every window is crossed, not skipped.
                FaultScenariosIT.awaitLog(faulty, "Partitions assigned", Duration.ofSeconds(60));
                writeBatch(rig, batch++);
                assertThat(faulty.awaitExit(Duration.ofSeconds(90))).as("halted at " + point)
                        .isEqualTo(FaultPoints.HALT_STATUS);
                FerryProcess consumer = rig.consumer(0, Map.of());
                rig.awaitDelivered(Duration.ofMinutes(2));
                assertThat(consumer.stop(Duration.ofSeconds(30))).isEqualTo(143);
            }
            assertThat(producer.stop(Duration.ofSeconds(30))).isEqualTo(143);

            FerryProcess consumer = rig.consumer(0, Map.of());
            for (String point : new String[] { Point.PRODUCER_PROGRESS.id, Point.PRODUCER_ACKNOWLEDGED.id,
                    Point.PRODUCER_RECEIPT_SEEN.id, Point.PRODUCER_DISPOSED.id }) {
                writeBatch(rig, batch++);
                // Slow enough that a progress record (every second) happens before the last chunk.
                Map<String, String> slow = Map.of("FERRY_RATE_LIMIT", "4M");
                FerryProcess faulty = rig.producer(slow, "-Ddev.ferry.fault.halt=" + point);
                assertThat(faulty.awaitExit(Duration.ofSeconds(90))).as("halted at " + point)
                        .isEqualTo(FaultPoints.HALT_STATUS);
                FerryProcess restarted = rig.producer(slow);
                rig.awaitDelivered(Duration.ofMinutes(2));
                Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> allSourcesGone(rig));
                assertThat(restarted.stop(Duration.ofSeconds(30))).isEqualTo(143);
            }
            Verifier.Report report = rig.verify();
            FaultSummary.record(rig, "fault points (every crash window)", "9 halts at named points", report);
            FaultScenariosIT.assertClean(rig, report);
            assertThat(consumer.isAlive()).isTrue();
        }
    }

    private static void writeBatch(FaultRig rig, int batch) throws Exception {
        for (int i = 0; i < 4; i++) {
            rig.write("p" + batch + "/small-" + i + ".dat", 10_000 + 101L * i, batch * 100L + i);
        }
        // 12 MiB at 4 MiB/s: three seconds, so progress (every second) and journal syncs happen mid-file.
        rig.write("p" + batch + "/medium.bin", 12L << 20, batch * 100L + 50);
    }

    private static boolean allSourcesGone(FaultRig rig) {
        return rig.expected.keySet().stream().noneMatch(p -> Files.exists(rig.inbox.resolve(p)));
    }
}
