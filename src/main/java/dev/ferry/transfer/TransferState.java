package dev.ferry.transfer;

import java.util.Locale;

/** Where a transfer is, as the API and the dashboard show it. */
public enum TransferState {
    /** Producer: chunks being read and sent. */
    SENDING,
    /** Producer: every chunk acknowledged by Kafka; waiting for the consumer's receipt. */
    SENT,
    /** Consumer: chunks being staged. */
    ASSEMBLING, DELIVERED,
    /** The attempt ended without a delivery (send failed, file changed, first chunks gone); it is sent again. */
    FAILED,
    /** Size or SHA-256 did not match; the data is in the quarantine folder. */
    QUARANTINED,
    /** Consumer: abandoned after ferry.incomplete-ttl without a chunk. */
    EXPIRED,
    /** Producer: not sent yet for a reason that may pass (unreadable, a re-send backing off); shown with the reason. */
    WAITING,
    /** Producer: the file changed while it was read; it is sent again once it settles. Not a failure. */
    RESTARTED,
    /** Producer: an inbox entry that is never sent (a symlink, FIFO, socket or device), with the reason. */
    SKIPPED;

    public boolean finished() {
        return this != SENDING && this != SENT && this != ASSEMBLING && this != WAITING;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @throws IllegalArgumentException
     *             naming the allowed values
     */
    public static TransferState parse(String value) {
        for (TransferState s : values()) {
            if (s.label().equalsIgnoreCase(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown state '" + value + "'; allowed: sending, sent, assembling, "
                + "delivered, failed, quarantined, expired, waiting, restarted, skipped");
    }
}
