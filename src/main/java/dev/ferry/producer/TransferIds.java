package dev.ferry.producer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import dev.ferry.trust.SealingKey;

/**
 * A transfer id names one version of one file: a hash of its relative path, size, modification time and file key.
 * Sending the same unchanged file again yields the same id, which is how the ledger and the consumer recognise a
 * re-send; any change to the file yields a new id.
 */
final class TransferIds {

    private TransferIds() {
    }

    static String of(FileState state) {
        return hash(
                state.relativePath() + '\0' + state.size() + '\0' + state.modifiedMillis() + '\0' + state.fileKey());
    }

    /**
     * The id of a file of a named route: the route is part of the identity, so the same path in two routes' inboxes
     * never shares a receipt. The default route keeps {@link #of(FileState)}, so ids stay stable across upgrades.
     */
    static String of(String route, FileState state) {
        return hash(route + '\0' + state.relativePath() + '\0' + state.size() + '\0' + state.modifiedMillis() + '\0'
                + state.fileKey());
    }

    /**
     * The id of a file on a route whose records are sealed: a keyed hash, so the id (the record key, in the clear)
     * cannot confirm a guessed path, size and time.
     */
    static String sealed(SealingKey key, String route, FileState state) {
        byte[] mac = key.hmac("ferry-transfer-id", (route + '\0' + state.relativePath() + '\0' + state.size() + '\0'
                + state.modifiedMillis() + '\0' + state.fileKey()).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(mac, 0, 16);
    }

    /** The id under which a skipped inbox entry (never sent) is listed: stable while the entry stays the same. */
    static String ofSkipped(String route, String relativePath, Object fileKey) {
        return hash("skipped\0" + route + '\0' + relativePath + '\0' + fileKey);
    }

    private static String hash(String identity) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] hash = sha.digest(identity.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
