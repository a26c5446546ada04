package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerTest {

    @TempDir
    Path state;

    @Test
    void attemptsGrowAndSentFilesAreRememberedAcrossRestarts() throws Exception {
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.nextAttempt("t1")).isZero();
            assertThat(ledger.nextAttempt("t1")).isEqualTo(1);
            ledger.markSent("t1");
        }
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.isSent("t1")).isTrue();
            assertThat(ledger.isSent("t2")).isFalse();
            assertThat(ledger.nextAttempt("t1")).as("attempt numbers never repeat").isEqualTo(2);
        }
    }

    @Test
    void aTornLastLineFromACrashIsIgnored() throws Exception {
        try (Ledger ledger = new Ledger(state)) {
            ledger.nextAttempt("t1");
            ledger.markSent("t1");
        }
        Files.writeString(state.resolve("producer-ledger"), "A t2 ", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (Ledger ledger = new Ledger(state)) {
            assertThat(ledger.isSent("t1")).isTrue();
            assertThat(ledger.nextAttempt("t2")).isZero();
        }
    }
}
