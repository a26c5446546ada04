package dev.ferry.consumer;

import java.io.IOException;
import java.nio.file.FileSystemException;

/**
 * Tells an I/O error caused by the record itself from one caused by the environment. Every limit a record can break is
 * checked before the disk is touched ({@code chunk/WireFormat}, {@code chunk/RelativePaths}, {@link OutboxPaths},
 * {@link Assembler.Limits}); this is the backstop for a file system stricter than those checks (a FAT outbox with 4 GiB
 * files, a network file system with shorter names). Such an error will happen again however often the record is tried,
 * so it fails the record; anything else (disk full, I/O error, permissions) is the environment's and is retried.
 */
final class RecordFaults {

    /** strerror texts of ENAMETOOLONG and EFBIG, as the JDK reports them. */
    private static final String[] RECORD_ERRORS = { "File name too long", "File too large" };

    private RecordFaults() {
    }

    static boolean isRecordFault(IOException e) {
        String text = e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : e.getMessage();
        if (text == null) {
            return false;
        }
        for (String error : RECORD_ERRORS) {
            if (text.contains(error)) {
                return true;
            }
        }
        return false;
    }
}
