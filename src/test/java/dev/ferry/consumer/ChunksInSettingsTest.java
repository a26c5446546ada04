package dev.ferry.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.ferry.chunk.WireFormat;

class ChunksInSettingsTest {

    /** Queued polls (the connector's max-queue-size-factor) plus the fetch being read. */
    static final int QUEUED_POLLS = 2;

    /**
     * What the incoming channel may hold in the heap does not grow with the chunk size. Before: 16 records per poll
     * whatever their size, so 4 MiB chunks could queue 128 MiB and 16 MiB chunks 512 MiB, in a 256 MiB heap.
     */
    @Test
    void recordsHeldByTheChannelStayWithinABoundForEveryChunkSize() {
        long bound = QUEUED_POLLS * (long) ChunksInSettings.POLL_BYTES + ChunksInSettings.POLL_BYTES / 2;
        for (int kib : new int[] { 16, 64, 256, 512, 1024, 2048, 4096, 16384 }) {
            int maxRecord = WireFormat.maxRecordBytes(kib * 1024);
            int perPoll = ChunksInSettings.maxPollRecords(maxRecord);
            long held = QUEUED_POLLS * (long) perPoll * maxRecord + ChunksInSettings.fetchMaxBytes(maxRecord);
            System.out.printf("chunk %5d KiB: %2d records per poll, at most %3d MiB held (bound %d MiB)%n", kib,
                    perPoll, held >> 20, bound >> 20);
            assertThat(perPoll).as("records per poll for %d KiB chunks", kib).isBetween(1,
                    ChunksInSettings.MAX_POLL_RECORDS);
            assertThat(held).as("bytes held for %d KiB chunks", kib).isLessThanOrEqualTo(bound + 2L * maxRecord);
        }
    }
}
