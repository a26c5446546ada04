package dev.ferry.producer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Objects;

import org.jboss.logging.Logger;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Opens exactly the inbox file that was scanned, or nothing. Between the scan and the open, anyone who can write the
 * inbox can swap a file for a FIFO (a blocking open would hang a sender thread forever), a folder on the way for a
 * symlink (the read would leave the inbox), or the file for another one. So:
 * <ol>
 * <li>every folder from the inbox down is opened with {@code openat(..., O_NOFOLLOW | O_DIRECTORY)}: a symlink at any
 * level fails the open;</li>
 * <li>the file itself with {@code O_NOFOLLOW | O_NONBLOCK}: a FIFO or device opens without waiting for a writer;</li>
 * <li>the open descriptor is checked through {@code /proc/self/fd}: it must be a regular file with the scanned file key
 * (device and inode), size and times; only then is it opened for reading, through the same link, which reaches the same
 * inode whatever happened to the name since.</li>
 * </ol>
 * Java has no {@code openat} and no non-blocking open, so this uses JNA (Linux on x86-64 and AArch64, whose flag values
 * it knows). Elsewhere it falls back to Java's own open without following the last component and a check of the type
 * before it: the same rule, without the guarantee against a swap in between.
 */
final class InboxFiles {

    private static final Logger LOG = Logger.getLogger(InboxFiles.class);

    /** The file is not the one scanned any more (swapped, replaced, changed, or a symlink on the way). */
    static final class NotTheScannedFile extends IOException {
        NotTheScannedFile(String message) {
            super(message);
        }
    }

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int openat(int dirfd, String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    private static final int O_RDONLY = 0;
    private static final int O_NONBLOCK = 04000;
    private static final int O_NOCTTY = 0400;
    private static final int O_CLOEXEC = 02000000;
    private static final boolean ARM = Platform.isARM();
    private static final int O_DIRECTORY = ARM ? 040000 : 0200000;
    private static final int O_NOFOLLOW = ARM ? 0100000 : 0400000;
    private static final int ELOOP = 40;
    private static final int ENOTDIR = 20;

    private static final LibC LIBC = load();

    private InboxFiles() {
    }

    private static LibC load() {
        if (!Platform.isLinux() || !(Platform.isIntel() && Platform.is64Bit() || ARM && Platform.is64Bit())) {
            LOG.warnf(
                    "Inbox files are opened without openat on this platform (%s %s): a folder swapped for a symlink "
                            + "between scan and open is not detected",
                    System.getProperty("os.name"), System.getProperty("os.arch"));
            return null;
        }
        try {
            return Native.load("c", LibC.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.warnf("Inbox files are opened without openat (libc not loadable: %s)", e.getMessage());
            return null;
        }
    }

    /** True if the native way (openat, non-blocking open) is in use. */
    static boolean usesOpenat() {
        return LIBC != null;
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
        if (LIBC == null) {
            return openPortable(inbox, state);
        }
        String[] segments = state.relativePath().split("/");
        int dir = -1;
        int fd = -1;
        try {
            dir = LIBC.open(inbox.toString(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            for (int i = 0; i < segments.length - 1; i++) {
                int next;
                try {
                    next = LIBC.openat(dir, segments[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == ELOOP || e.getErrorCode() == ENOTDIR) {
                        throw new NotTheScannedFile(
                                "folder " + String.join("/", java.util.Arrays.copyOf(segments, i + 1))
                                        + " is no longer a folder (a symlink or a file now); not followed");
                    }
                    throw e;
                }
                LIBC.close(dir);
                dir = next;
            }
            try {
                fd = LIBC.openat(dir, segments[segments.length - 1],
                        O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ELOOP) {
                    throw new NotTheScannedFile("the file is a symlink now; not followed");
                }
                throw e;
            }
            Path self = Path.of("/proc/self/fd/" + fd);
            checkSame(state, Files.readAttributes(self, "unix:size,lastModifiedTime,ctime,fileKey,isRegularFile,mode"));
            // The descriptor pins the inode: opening its /proc link reaches exactly that regular file.
            return FileChannel.open(self, StandardOpenOption.READ);
        } catch (LastErrorException e) {
            throw new IOException(
                    "cannot open " + state.relativePath() + ": errno " + e.getErrorCode() + " (" + e.getMessage() + ")",
                    e);
        } finally {
            closeQuietly(fd);
            closeQuietly(dir);
        }
    }

    private static FileChannel openPortable(Path inbox, FileState state) throws IOException {
        Path file = inbox.resolve(state.relativePath());
        for (Path p = file.getParent(); p != null && p.startsWith(inbox) && !p.equals(inbox); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw new NotTheScannedFile("folder " + inbox.relativize(p) + " is a symlink now; not followed");
            }
        }
        checkSame(state, Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,fileKey,isRegularFile,mode",
                LinkOption.NOFOLLOW_LINKS));
        return FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    }

    private static void checkSame(FileState scanned, Map<String, Object> now) throws NotTheScannedFile {
        if (!Boolean.TRUE.equals(now.get("isRegularFile"))) {
            throw new NotTheScannedFile("it is no longer a regular file (a FIFO, device or folder now)");
        }
        if (!Objects.equals(now.get("fileKey"), scanned.fileKey()) || !Objects.equals(now.get("size"), scanned.size())
                || ((java.nio.file.attribute.FileTime) now.get("lastModifiedTime")).toMillis() != scanned
                        .modifiedMillis()) {
            throw new NotTheScannedFile("it was replaced or changed since it was scanned");
        }
    }

    private static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                LIBC.close(fd);
            } catch (LastErrorException e) {
                // Only a read-only descriptor: nothing to lose.
            }
        }
    }
}
