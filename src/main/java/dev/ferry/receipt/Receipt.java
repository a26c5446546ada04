package dev.ferry.receipt;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import dev.ferry.trust.RecordSignatures;

/**
 * What the consumer side did with one transfer, the value of a record in the receipts topic (key: the transfer id;
 * compacted, so the latest receipt per transfer is kept). JSON, so an operator can read it with any Kafka tool:
 *
 * <pre>
 * {"v":1,"transfer":"…","attempt":0,"outcome":"DELIVERED","path":"a/b.csv","target":"a/b.csv","size":42,
 *  "sha256":"…","instance":"ferry-consumer-0","time":"2026-11-22T10:00:00Z","topic":"ferry-chunks"}
 * </pre>
 *
 * A receipt is written after the file is durably in the outbox and before the offsets that would let its chunks be
 * skipped are committed; the producer waits for it before applying its source policy, the consumer checks it before
 * publishing (so a lost state volume does not deliver a file twice), and {@code verify} reads it to find each file.
 *
 * @param target
 *            where the file is in the outbox, relative to it (differs from {@code path} under
 *            {@code ferry.on-conflict=keep-both}); null unless delivered
 * @param reason
 *            why a transfer failed or was quarantined; null otherwise
 * @param topic
 *            the chunk topic the transfer came through (routes share one receipts topic); absent in receipts written
 *            before routes existed
 * @param sealed
 *            with end-to-end encryption: path, target, reason and SHA-256 sealed under a route key
 *            ({@link SealedReceipts}); null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Receipt(int v, String transfer, int attempt, Outcome outcome, String path, String target, long size,
        String sha256, String instance, Instant time, String reason, String topic, String sealed) {

    public static final int VERSION = 1;

    /** What a sealed receipt shows for its path, target and reason. */
    public static final String SEALED = "sealed";

    private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    public enum Outcome {
        /** The file is in the outbox at {@code target}, verified (or was already there, identical). */
        DELIVERED,
        /** A different file was at the path and {@code ferry.on-conflict=skip}: the new one was discarded. */
        SKIPPED,
        /** Size or SHA-256 did not match; the data is in the quarantine folder. */
        QUARANTINED,
        /**
         * The attempt cannot complete (its first chunks are gone, or it was abandoned): the producer sends it again.
         */
        FAILED;

        /** Final for the transfer: nothing of it is to be delivered again. */
        public boolean isFinal() {
            return this == DELIVERED || this == SKIPPED;
        }
    }

    /**
     * What a receipt is about: one attempt of one transfer, as its chunks described it, and the chunk topic it came
     * through. Receipts are made from it by what happened: {@link #delivered}, {@link #skipped}, {@link #quarantined},
     * {@link #failed}.
     */
    public record Subject(String transfer, int attempt, String path, long size, String topic) {

        /** The file is in the outbox at {@code target}, verified with {@code sha256}. */
        public Receipt delivered(String target, String sha256, String instance) {
            return receipt(Outcome.DELIVERED, target, sha256, instance, null);
        }

        /** A different file was at the path and {@code ferry.on-conflict=skip} kept it. */
        public Receipt skipped(String target, String sha256, String instance) {
            return receipt(Outcome.SKIPPED, target, sha256, instance, null);
        }

        public Receipt quarantined(String instance, String reason) {
            return receipt(Outcome.QUARANTINED, null, null, instance, reason);
        }

        /** The attempt cannot complete here; its producer sends the file again (a bounded number of times). */
        public Receipt failed(String instance, String reason) {
            return receipt(Outcome.FAILED, null, null, instance, reason);
        }

        private Receipt receipt(Outcome outcome, String target, String sha256, String instance, String reason) {
            return new Receipt(VERSION, transfer, attempt, outcome, path, target, size, sha256, instance, Instant.now(),
                    reason, topic, null);
        }
    }

    /** The domain of a receipt's signature ({@link RecordSignatures}): the receipts topic, key and value bytes. */
    public static final String SIGNATURE_DOMAIN = "ferry-receipt-v1";

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a receipt is always serialisable", e);
        }
    }

    /**
     * @throws IllegalArgumentException
     *             if {@code json} is not a receipt this version understands
     */
    public static Receipt parse(String json) {
        try {
            Receipt r = JSON.readValue(json, Receipt.class);
            if (r.transfer == null || r.outcome == null) {
                throw new IllegalArgumentException("not a receipt (no transfer or outcome): " + json);
            }
            return r;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a receipt: " + e.getOriginalMessage(), e);
        }
    }
}
