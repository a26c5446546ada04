package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** Bad settings stop start-up with a message naming the key, its environment variable and the reason. */
class FerryConfigCheckTest {

    static FerryConfig config(Map<String, String> values) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(FerryConfig.class)
                .withConverter(MemorySize.class, 100, new MemorySizeConverter())
                .withConverter(Duration.class, 100, new DurationConverter()).withDefaultValues(values).build();
        return config.getConfigMapping(FerryConfig.class);
    }

    @Test
    void aConsumerWithoutGroupIdOrOutboxIsRefusedNamingBothKeys() {
        FerryConfig c = config(Map.of("ferry.role", "consumer", "ferry.state-dir", "/tmp/s"));
        assertThatThrownBy(() -> FerryConfigCheck.check(c))
                .hasMessageContaining("ferry.outbox (FERRY_OUTBOX) is required")
                .hasMessageContaining("ferry.group-id (FERRY_GROUP_ID) is required");
    }

    @Test
    void noRoleIsRefusedWithHowToPickOne() {
        FerryConfig c = config(Map.of("ferry.state-dir", "/tmp/s"));
        assertThatThrownBy(() -> FerryConfigCheck.check(c))
                .hasMessageContaining("ferry.role (FERRY_ROLE) is not set: start with QUARKUS_PROFILE=producer");
    }

    @Test
    void aChunkSizeOutOfBoundsIsRefused() {
        FerryConfig c = config(Map.of("ferry.role", "producer", "ferry.state-dir", "/tmp/s", "ferry.inbox", "/tmp/i",
                "ferry.chunk-size", "64M"));
        assertThatThrownBy(() -> FerryConfigCheck.check(c))
                .hasMessageContaining("ferry.chunk-size (FERRY_CHUNK_SIZE) is 67108864 bytes; allowed: 1K to 16M");
    }

    @Test
    void moveWithoutArchiveAndOverlappingFoldersAreRefused() {
        FerryConfig c = config(Map.of("ferry.role", "both", "ferry.state-dir", "/tmp/s", "ferry.inbox", "/tmp/x",
                "ferry.outbox", "/tmp/x/out", "ferry.group-id", "g", "ferry.source-policy", "move"));
        assertThatThrownBy(() -> FerryConfigCheck.check(c))
                .hasMessageContaining("ferry.archive (FERRY_ARCHIVE) is required: ferry.source-policy is move")
                .hasMessageContaining("overlap");
    }

    @Test
    void minInsyncAboveReplicationFactorIsRefused() {
        FerryConfig c = config(Map.of("ferry.role", "producer", "ferry.state-dir", "/tmp/s", "ferry.inbox", "/tmp/i",
                "ferry.replication-factor", "1", "ferry.min-insync-replicas", "2"));
        assertThatThrownBy(() -> FerryConfigCheck.check(c))
                .hasMessageContaining("ferry.min-insync-replicas (FERRY_MIN_INSYNC_REPLICAS) is 2, above");
    }

    @Test
    void aProgressIntervalBelowASecondIsRefusedSayingZeroTurnsItOff() {
        FerryConfig c = config(Map.of("ferry.role", "producer", "ferry.state-dir", "/tmp/s", "ferry.inbox", "/tmp/i",
                "ferry.progress-interval", "100ms"));
        assertThatThrownBy(() -> FerryConfigCheck.check(c)).hasMessageContaining(
                "ferry.progress-interval (FERRY_PROGRESS_INTERVAL) is 100ms; allowed: 0 (no progress lines) or at least 1s");
    }
}
