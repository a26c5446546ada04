package dev.ferry.receipt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.ferry.trust.SealingKey;

class SealedReceiptsTest {

    static final String SHA = "ab".repeat(32);
    static final SealingKey KEY = SealingKey.generate();

    static Receipt delivered(String transfer) {
        return new Receipt.Subject(transfer, 1, "hr/payroll-2026.csv", 42, "ferry-chunks")
                .delivered("hr/payroll-2026 (1).csv", SHA, "consumer-0");
    }

    @Test
    void aSealedReceiptShowsNoPathTargetOrHashAndOpensWithItsKey() {
        Receipt plain = delivered("t1");
        Receipt sealed = SealedReceipts.seal(plain, KEY);
        String json = sealed.toJson();
        assertThat(json).doesNotContain("payroll").doesNotContain(SHA).contains(KEY.keyId() + ":");
        assertThat(sealed.path()).isEqualTo(Receipt.SEALED);
        assertThat(sealed.sha256()).isEqualTo(SealedReceipts.keyedSha256(KEY, "t1", SHA));
        assertThat(sealed.size()).isEqualTo(42);

        Receipt opened = SealedReceipts.open(Receipt.parse(json), Map.of(KEY.keyId(), KEY)::get).orElseThrow();
        assertThat(opened.path()).isEqualTo("hr/payroll-2026.csv");
        assertThat(opened.target()).isEqualTo("hr/payroll-2026 (1).csv");
        assertThat(opened.sha256()).isEqualTo(SHA);
        assertThat(opened.sealed()).isNull();
    }

    @Test
    void theKeyedHashIsBoundToTheTransferAndTheKey() {
        assertThat(SealedReceipts.keyedSha256(KEY, "t1", SHA)).startsWith(SealedReceipts.KEYED)
                .isEqualTo(SealedReceipts.keyedSha256(KEY, "t1", SHA.toUpperCase()))
                .isNotEqualTo(SealedReceipts.keyedSha256(KEY, "t2", SHA))
                .isNotEqualTo(SealedReceipts.keyedSha256(SealingKey.generate(), "t1", SHA));
    }

    @Test
    void aReceiptThatDoesNotOpenIsNotBelieved() {
        Receipt sealed = SealedReceipts.seal(delivered("t1"), KEY);
        SealingKey other = SealingKey.generate();
        assertThat(SealedReceipts.open(sealed, id -> other)).as("another key").isEmpty();
        assertThat(SealedReceipts.open(sealed, id -> null)).as("key not here").isEmpty();

        // The sealed fields of one transfer moved onto another's receipt do not open.
        Receipt moved = new Receipt(1, "t2", 1, Receipt.Outcome.DELIVERED, Receipt.SEALED, Receipt.SEALED, 42,
                sealed.sha256(), "consumer-0", sealed.time(), null, "ferry-chunks", sealed.sealed());
        assertThat(SealedReceipts.open(moved, Map.of(KEY.keyId(), KEY)::get)).isEmpty();

        byte[] raw = Base64.getDecoder().decode(sealed.sealed().substring(sealed.sealed().indexOf(':') + 1));
        raw[raw.length / 2] ^= 1;
        Receipt flipped = new Receipt(1, "t1", 1, Receipt.Outcome.DELIVERED, Receipt.SEALED, Receipt.SEALED, 42,
                sealed.sha256(), "consumer-0", sealed.time(), null, "ferry-chunks",
                KEY.keyId() + ":" + Base64.getEncoder().encodeToString(raw));
        assertThat(SealedReceipts.open(flipped, Map.of(KEY.keyId(), KEY)::get)).isEmpty();
        assertThat(SealedReceipts.open(new Receipt(1, "t1", 1, Receipt.Outcome.DELIVERED, "a", "a", 1, SHA, "c",
                sealed.time(), null, "t", "no-colon-here"), id -> KEY)).isEmpty();
    }
}
