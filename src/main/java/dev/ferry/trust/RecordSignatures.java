package dev.ferry.trust;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import dev.ferry.chunk.WireFormat;

/**
 * Signatures of whole Kafka records whose value is the message (receipts, stream announcements), carried in the same
 * two headers as a chunk's ({@link WireFormat#KEY_HEADER}, {@link WireFormat#SIGNATURE_HEADER}). What is signed is a
 * domain tag (so a receipt's signature is never an announcement's), the topic, the record key, the value bytes exactly
 * as written (nothing is re-serialised to check them) and the key id, each length-prefixed.
 */
public final class RecordSignatures {

    private RecordSignatures() {
    }

    public static byte[] signedBytes(String domain, String topic, String key, byte[] value, String keyId) {
        byte[][] fields = { utf8(domain), utf8(topic), utf8(key), value == null ? new byte[0] : value, utf8(keyId) };
        int length = 0;
        for (byte[] f : fields) {
            length += Integer.BYTES + f.length;
        }
        ByteBuffer b = ByteBuffer.allocate(length);
        for (byte[] f : fields) {
            b.putInt(f.length).put(f);
        }
        return b.array();
    }

    /** Adds this instance's signature of the record to {@code headers}, if it has a key. */
    public static void sign(KeyRing keys, String domain, String topic, String key, byte[] value, Headers headers) {
        SigningKey own = keys.signingKey().orElse(null);
        if (own != null) {
            headers.add(WireFormat.KEY_HEADER, own.keyId().getBytes(StandardCharsets.US_ASCII));
            headers.add(WireFormat.SIGNATURE_HEADER, own.sign(signedBytes(domain, topic, key, value, own.keyId())));
        }
    }

    /** What the record's signature says, checked against {@code keys}. */
    public static Authenticity check(KeyRing keys, String domain, String topic, String key, byte[] value,
            Headers headers) {
        Header keyId = headers.lastHeader(WireFormat.KEY_HEADER);
        Header signature = headers.lastHeader(WireFormat.SIGNATURE_HEADER);
        String signer = keyId == null ? null : WireFormat.keyIdOf(keyId.value());
        return keys.check(signer, signature == null ? null : signature.value(),
                () -> signedBytes(domain, topic, key, value, signer));
    }

    /** The signer a record names, printable, for messages. */
    public static String signerOf(Headers headers) {
        Header keyId = headers.lastHeader(WireFormat.KEY_HEADER);
        return keyId == null ? "none" : String.valueOf(WireFormat.keyIdOf(keyId.value()));
    }

    private static byte[] utf8(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }
}
