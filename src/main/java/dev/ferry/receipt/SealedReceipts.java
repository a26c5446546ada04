package dev.ferry.receipt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import javax.crypto.AEADBadTagException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.trust.AesGcm;
import dev.ferry.trust.SealingKey;

/**
 * Receipts of a route whose records are sealed (end-to-end encryption): nothing in them may tell a reader of the
 * receipts topic which file it was. Path, target, reason and SHA-256 are sealed under the route key, in the field
 * {@code sealed} as {@code <key id>:<base64>}; the visible path, target and reason read {@value Receipt#SEALED}, and
 * the visible SHA-256 is a keyed hash of the real one and the transfer id ({@value #KEYED}...), which the producer,
 * holding the key, computes from its ledger to match the receipt without opening it. Size, attempt, outcome and times
 * stay readable (the chunk headers show the size anyway).
 */
public final class SealedReceipts {

    /** The prefix of a receipt's keyed SHA-256. */
    public static final String KEYED = "hmac-sha256:";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FIELDS_DOMAIN = "ferry-receipt-fields";
    private static final String SHA_DOMAIN = "ferry-receipt-sha256";

    private SealedReceipts() {
    }

    /** {@code r} with what names or fingerprints the file sealed under {@code key}. */
    public static Receipt seal(Receipt r, SealingKey key) {
        Map<String, String> fields = new HashMap<>();
        fields.put("path", r.path());
        fields.put("target", r.target());
        fields.put("reason", r.reason());
        fields.put("sha256", r.sha256());
        byte[] sealed;
        try {
            sealed = AesGcm.sealWithKey(key, aad(r.transfer()), JSON.writeValueAsBytes(fields));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("four strings are always serialisable", e);
        }
        return new Receipt(r.v(), r.transfer(), r.attempt(), r.outcome(), Receipt.SEALED,
                r.target() == null ? null : Receipt.SEALED, r.size(),
                r.sha256() == null ? null : keyedSha256(key, r.transfer(), r.sha256()), r.instance(), r.time(),
                r.reason() == null ? null : Receipt.SEALED, r.topic(),
                key.keyId() + ":" + Base64.getEncoder().encodeToString(sealed));
    }

    /**
     * The receipt as its consumer wrote it, if one of {@code keys} (by key id) opens it; {@code r} itself if it is not
     * sealed; empty if its key is not among them or it does not open (altered, or moved to another transfer).
     */
    public static Optional<Receipt> open(Receipt r, Function<String, SealingKey> keys) {
        if (r.sealed() == null) {
            return Optional.of(r);
        }
        int colon = r.sealed().indexOf(':');
        SealingKey key = colon <= 0 ? null : keys.apply(r.sealed().substring(0, colon));
        if (key == null) {
            return Optional.empty();
        }
        try {
            byte[] plain = AesGcm.openWithKey(key, aad(r.transfer()),
                    Base64.getDecoder().decode(r.sealed().substring(colon + 1)));
            Map<String, String> fields = JSON.readValue(plain, new TypeReference<Map<String, String>>() {
            });
            return Optional.of(new Receipt(r.v(), r.transfer(), r.attempt(), r.outcome(), fields.get("path"),
                    fields.get("target"), r.size(), fields.get("sha256"), r.instance(), r.time(), fields.get("reason"),
                    r.topic(), null));
        } catch (AEADBadTagException | IllegalArgumentException | IOException e) {
            return Optional.empty();
        }
    }

    /** What a sealed receipt shows for a file's SHA-256: a keyed hash, bound to the transfer. */
    public static String keyedSha256(SealingKey key, String transfer, String sha256) {
        return KEYED + HexFormat.of().formatHex(key.hmac(SHA_DOMAIN,
                (transfer + '\0' + sha256.toLowerCase(Locale.ROOT)).getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] aad(String transfer) {
        return (FIELDS_DOMAIN + '\0' + transfer).getBytes(StandardCharsets.UTF_8);
    }
}
