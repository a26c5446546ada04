package dev.ferry.chunk;

/**
 * The sealed parts of a record (end-to-end encryption): what the wire format needs of the keys without knowing them.
 * {@code dev.ferry.trust} makes them: a {@link Sealer} per attempt on the producer, an {@link Opener} per record on the
 * consumer. The parts are sealed under the attempt's data key with a nonce of a purpose and a counter (the chunk
 * index), and with associated data naming the record ({@link WireFormat#sealedAad}).
 */
public final class Sealing {

    /** Purposes: no two sealed values of an attempt share purpose and counter. */
    public static final int CHUNK = 1;
    public static final int PATH = 2;
    public static final int REASON = 3;
    public static final int FILE_SHA256 = 4;

    /** What a sealed record carries in the clear about its key: the route key's id and the wrapped data key. */
    public record Envelope(String sealingKeyId, byte[] wrappedKey) {
    }

    private Sealing() {
    }

    /** Seals the parts of one attempt. */
    public interface Sealer {
        Envelope envelope();

        byte[] seal(int purpose, long counter, byte[] aad, byte[] plaintext);
    }

    /** Opens the parts of one record. */
    public interface Opener {
        /**
         * @throws InvalidRecordException
         *             it does not open: forged, altered, or moved from another record
         */
        byte[] open(int purpose, long counter, byte[] aad, byte[] sealed) throws InvalidRecordException;
    }
}
