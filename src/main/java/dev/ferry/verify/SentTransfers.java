package dev.ferry.verify;

import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import org.roaringbitmap.RoaringBitmap;

import dev.ferry.chunk.Abort;
import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.FerryRecord;
import dev.ferry.chunk.InvalidRecordException;
import dev.ferry.chunk.WireFormat;
import dev.ferry.trust.KeyRing;

/**
 * What the chunk topic says was sent: every transfer with an attempt whose chunks are all in the topic and that no
 * abort ended. Reads the topic from its start to its end as of now, keeping a bit set per attempt, never the data.
 */
final class SentTransfers {

    /** One file as the producer sent it. */
    record Sent(String transferId, int attempt, String path, long size, String sha256) {
    }

    /**
     * A transfer seen in the topic that no complete attempt finished: still sending, a producer that died, or (when its
     * latest attempt was {@code aborted}) one the producer gave up on.
     */
    record Unfinished(String transferId, String path, int chunks, int count, boolean aborted) {
    }

    private static final class Attempt {
        String path;
        long size;
        int count;
        final RoaringBitmap seen = new RoaringBitmap();
        String sha256;
        boolean aborted;
    }

    final Map<String, Sent> sent = new HashMap<>();
    final Map<String, Unfinished> unfinished = new HashMap<>();
    long records;
    long invalid;
    /** Records not signed by a trusted key, when keys are given: not taken as sent. */
    long untrusted;
    /** Sealed records whose key was not given: what they sent cannot be known. */
    long sealedWithoutKey;

    static SentTransfers read(Map<String, Object> kafka, String topic, Duration timeout) {
        return read(kafka, topic, timeout, null);
    }

    /**
     * @param keys
     *            if not null, only records signed by a key it trusts count as sent, and sealed records are opened with
     *            the keys it opens with
     */
    static SentTransfers read(Map<String, Object> kafka, String topic, Duration timeout, KeyRing keys) {
        Map<String, Map<Integer, Attempt>> attempts = new HashMap<>();
        SentTransfers result = new SentTransfers();
        TopicSnapshot.read(kafka, topic, "ferry-verify", timeout, false, r -> {
            result.records++;
            FerryRecord record;
            try {
                WireFormat.Signed signed = WireFormat.decodeSigned(r.key(), r.headers(), r.value());
                record = signed.record();
                if (keys != null && keys
                        .check(signed.keyId(), signed.signature(), () -> WireFormat.signedBytes(signed, r.topic()))
                        .refused()) {
                    result.untrusted++;
                    return;
                }
                if (signed.isSealed()) {
                    if (keys == null) {
                        result.sealedWithoutKey++;
                        return;
                    }
                    record = WireFormat.open(signed, keys.openerFor(r.topic(), signed));
                }
            } catch (KeyRing.MissingKeyException e) {
                result.sealedWithoutKey++;
                return;
            } catch (InvalidRecordException e) {
                result.invalid++;
                return;
            }
            Attempt a = attempts.computeIfAbsent(record.transferId(), id -> new HashMap<>())
                    .computeIfAbsent(record.attempt(), n -> new Attempt());
            if (record instanceof Abort) {
                a.aborted = true;
            } else if (record instanceof Chunk c) {
                a.path = c.path();
                a.size = c.size();
                a.count = c.count();
                a.seen.add(c.index());
                if (c.sha256() != null) {
                    a.sha256 = HexFormat.of().formatHex(c.sha256());
                }
            }
        });
        attempts.forEach((id, byAttempt) -> {
            Attempt best = null;
            int bestNumber = -1;
            Attempt latest = null;
            int latestNumber = -1;
            for (Map.Entry<Integer, Attempt> e : byAttempt.entrySet()) {
                Attempt a = e.getValue();
                if (a.path != null && e.getKey() > latestNumber) {
                    latest = a;
                    latestNumber = e.getKey();
                }
                boolean complete = a.path != null && !a.aborted && a.sha256 != null
                        && a.seen.getCardinality() == a.count;
                if (complete && e.getKey() > bestNumber) {
                    best = a;
                    bestNumber = e.getKey();
                }
            }
            if (best != null) {
                result.sent.put(id, new Sent(id, bestNumber, best.path, best.size, best.sha256));
            } else if (latest != null) {
                result.unfinished.put(id,
                        new Unfinished(id, latest.path, latest.seen.getCardinality(), latest.count, latest.aborted));
            }
        });
        return result;
    }
}
