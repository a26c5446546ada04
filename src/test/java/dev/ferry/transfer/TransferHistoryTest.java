package dev.ferry.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferHistoryTest {

    @TempDir
    Path dir;

    static Transfer done(int i) {
        return Transfer.start("id" + i, Side.CONSUMER, "default", "f" + i, 10, 1, 0, TransferState.ASSEMBLING)
                .finish(TransferState.DELIVERED, "sha" + i, null);
    }

    @Test
    void keepsTheNewestWithinItsLimitAcrossARestartAndCompactsItsFile() throws Exception {
        Path file = dir.resolve("history.jsonl");
        try (TransferHistory h = new TransferHistory(file, 10)) {
            for (int i = 0; i < 35; i++) {
                h.append(done(i));
            }
            assertThat(h.all()).extracting(Transfer::id).first().isEqualTo("id25");
        }
        assertThat(Files.readAllLines(file).size()).as("compacted, not growing").isLessThan(20);
        try (TransferHistory again = new TransferHistory(file, 10)) {
            assertThat(again.all()).hasSize(10).extracting(Transfer::id).first().isEqualTo("id25");
            assertThat(again.all()).last().satisfies(t -> {
                assertThat(t.id()).isEqualTo("id34");
                assertThat(t.state()).isEqualTo(TransferState.DELIVERED);
                assertThat(t.sha256()).isEqualTo("sha34");
                assertThat(t.finishedAt()).isNotNull();
            });
        }
    }

    @Test
    void aTransferFinishedTwiceIsKeptOnceWithItsLatestOutcome() throws Exception {
        try (TransferHistory h = new TransferHistory(dir.resolve("h.jsonl"), 10)) {
            h.append(Transfer.start("x", Side.PRODUCER, "default", "f", 10, 1, 0, TransferState.SENDING)
                    .finish(TransferState.FAILED, null, "send failed"));
            h.append(Transfer.start("x", Side.PRODUCER, "default", "f", 10, 1, 0, TransferState.SENDING)
                    .finish(TransferState.DELIVERED, "abc", null));
            assertThat(h.all()).hasSize(1).first().extracting(Transfer::state).isEqualTo(TransferState.DELIVERED);
        }
    }

    @Test
    void historyWrittenBeforeTheSideWasAnEnumReadsTheSameAndTheSideStaysText() throws Exception {
        Path file = dir.resolve("old.jsonl");
        Files.writeString(file,
                "{\"id\":\"old\",\"side\":\"consumer\",\"route\":\"default\","
                        + "\"path\":\"a\",\"size\":1,\"bytesDone\":1,\"chunksDone\":1,\"chunksTotal\":1,"
                        + "\"state\":\"DELIVERED\",\"startedAt\":\"2026-11-30T10:00:00Z\"}\n");
        try (TransferHistory h = new TransferHistory(file, 10)) {
            assertThat(h.all()).extracting(Transfer::side).containsExactly(Side.CONSUMER);
            h.append(Transfer.start("new", Side.PRODUCER, "default", "b", 1, 1, 0, TransferState.SENDING)
                    .finish(TransferState.DELIVERED, "abc", null));
        }
        assertThat(Files.readString(file)).contains("\"side\":\"producer\"");
    }
}
