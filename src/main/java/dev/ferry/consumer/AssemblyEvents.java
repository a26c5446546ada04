package dev.ferry.consumer;

import dev.ferry.transfer.TransferState;

/** What an {@link Assembler} tells the outside as files arrive: for the transfers API, dashboard and metrics. */
interface AssemblyEvents {

    AssemblyEvents NONE = new AssemblyEvents() {
    };

    /** A transfer is being assembled here (new, or resumed after a restart). */
    default void started(Assembly a) {
    }

    /** A chunk was staged. */
    default void staged(Assembly a) {
    }

    /**
     * The transfer is over here: delivered, quarantined, failed or expired. {@code reason} is kept with it (why it
     * failed); {@code note} only goes into its outcome line in the log (where it went).
     */
    default void finished(Assembly a, TransferState end, String sha256, String reason, String note) {
    }

    /** The transfer's staged data is gone without an outcome here (another instance delivered it, ...). */
    default void dropped(Assembly a) {
    }
}
