package dev.ferry.trust;

/** What a signature check says about a record or a receipt, and what to do with it. */
public enum Authenticity {
    /** Signed by a trusted key, and the signature matches. */
    AUTHENTIC("authentic"),
    /** Not checked (unsigned, or signed by a key not known here) while signatures are not required: used as before. */
    UNCHECKED("unchecked"),
    /** Unsigned while signatures are required: refused. */
    UNSIGNED("unsigned"),
    /** Signed by a key this instance does not trust, while signatures are required: refused. */
    UNKNOWN_KEY("unknown-key"),
    /** A trusted key's signature that does not match: forged or altered, refused whatever the setting. */
    BAD_SIGNATURE("bad-signature");

    /** The dead-letter category and metric tag. */
    public final String category;

    Authenticity(String category) {
        this.category = category;
    }

    public boolean refused() {
        return this == UNSIGNED || this == UNKNOWN_KEY || this == BAD_SIGNATURE;
    }

    /** Why it was refused, for a dead-letter reason or a log line. */
    public String reason(String keyId) {
        return switch (this) {
            case UNSIGNED -> "unsigned, and signatures are required (ferry.require-signatures)";
            case UNKNOWN_KEY -> "signed by key " + keyId + ", which is not among the trusted keys (ferry.trusted-keys)";
            case BAD_SIGNATURE -> "the signature of key " + keyId + " does not match the content: forged or altered";
            default -> category;
        };
    }
}
