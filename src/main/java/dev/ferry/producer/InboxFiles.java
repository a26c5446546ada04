package dev.ferry.producer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Objects;

import dev.ferry.fs.FolderHandle;

/**
 * Opens exactly the inbox file that was scanned, or nothing. Between the scan and the open, anyone who can write the
 * inbox can swap a file for a FIFO (a blocking open would hang a sender thread forever), a folder on the way for a
 * symlink (the read would leave the inbox), or the file for another one. So the file's folder is reached without
 * following a symlink at any level ({@link FolderHandle}), the file is opened without following a link and without
 * blocking, and it is read only if the opened descriptor is a regular file with the scanned file key (device and
 * inode), size and modification time.
 */
final class InboxFiles {

    /** The file is not the one scanned any more (swapped, replaced, changed, or a symlink on the way). */
    static final class NotTheScannedFile extends IOException {
        NotTheScannedFile(String message) {
            super(message);
        }
    }

    private InboxFiles() {
    }

    /**
     * Opens {@code state}'s file for reading.
     *
     * @throws NotTheScannedFile
     *             the file or a folder on its way is no longer what was scanned; send it again once it settles
     * @throws IOException
     *             it cannot be read (permissions, I/O): retry later
     */
    static FileChannel open(Path inbox, FileState state) throws IOException {
        String path = state.relativePath();
        int slash = path.lastIndexOf('/');
        Path folder = slash < 0 ? Path.of("") : Path.of(path.substring(0, slash));
        FolderHandle handle;
        try {
            handle = FolderHandle.open(inbox, folder, false);
        } catch (FolderHandle.NotAFolder e) {
            throw new NotTheScannedFile("folder " + e.getMessage());
        }
        try (handle) {
            FileChannel channel = handle.openChecked(path.substring(slash + 1), now -> checkSame(state, now));
            if (channel == null) {
                throw new NotTheScannedFile("it is no longer a regular file (a FIFO, device, symlink or gone)");
            }
            return channel;
        }
    }

    private static void checkSame(FileState scanned, Map<String, Object> now) throws NotTheScannedFile {
        if (!Objects.equals(now.get("fileKey"), scanned.fileKey()) || !Objects.equals(now.get("size"), scanned.size())
                || ((FileTime) now.get("lastModifiedTime")).toMillis() != scanned.modifiedMillis()) {
            throw new NotTheScannedFile("it was replaced or changed since it was scanned");
        }
    }
}
