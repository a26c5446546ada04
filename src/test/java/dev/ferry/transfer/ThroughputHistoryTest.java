package dev.ferry.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The server's five minutes of throughput: rates from counter growth, one point a second, never more than 300. */
class ThroughputHistoryTest {

    @Test
    void ratesComeFromTheCountersGrowthAndTheHistoryStaysFiveMinutes() {
        ThroughputHistory history = new ThroughputHistory();
        assertThat(history.latest()).as("nothing yet").isNull();
        long sent = 0;
        for (long second = 1000; second < 2000; second++) {
            sent += 3_000_000; // 3 MB a second
            history.record(second, sent, sent / 3);
            history.record(second, sent, sent / 3); // a late tick in the same second is not a second point
        }
        ThroughputHistory.Series series = history.lastFiveMinutes();
        System.out.println("points kept after 1000 s: " + series.at().length);
        assertThat(series.at()).hasSize(ThroughputHistory.SECONDS);
        assertThat(series.at()[series.at().length - 1]).isEqualTo(1999);
        assertThat(series.at()[0]).isEqualTo(1999 - ThroughputHistory.SECONDS + 1);
        assertThat(series.sent()).containsOnly(3.0);
        assertThat(series.received()).containsOnly(1.0);
        assertThat(history.latest()).isEqualTo(new ThroughputHistory.Point(1999, 3.0, 1.0));
    }
}
