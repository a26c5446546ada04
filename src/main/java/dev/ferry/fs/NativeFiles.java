package dev.ferry.fs;

import org.jboss.logging.Logger;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few libc calls Java lacks for handling folders other people can write: {@code openat} and {@code mkdirat}
 * relative to an open folder, with {@code O_NOFOLLOW} so that no symlink is followed, and {@code O_NONBLOCK} so that a
 * FIFO cannot hang an open. Linux on x86-64 and AArch64 (whose flag values differ and are both known here); elsewhere
 * {@link #LIBC} is null and callers fall back to Java's checks, without the guarantee against a swap between check and
 * use.
 */
public final class NativeFiles {

    private static final Logger LOG = Logger.getLogger(NativeFiles.class);

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int openat(int dirfd, String path, int flags) throws LastErrorException;

        int mkdirat(int dirfd, String path, int mode) throws LastErrorException;

        int close(int fd) throws LastErrorException;
    }

    static final int O_RDONLY = 0;
    static final int O_NOCTTY = 0400;
    static final int O_NONBLOCK = 04000;
    static final int O_CLOEXEC = 02000000;
    private static final boolean ARM = Platform.isARM();
    static final int O_DIRECTORY = ARM ? 040000 : 0200000;
    static final int O_NOFOLLOW = ARM ? 0100000 : 0400000;
    static final int ENOENT = 2;
    static final int ENOTDIR = 20;
    static final int EEXIST = 17;
    static final int ELOOP = 40;

    static final LibC LIBC = load();

    private NativeFiles() {
    }

    /** True if folders are opened with openat and O_NOFOLLOW here. */
    public static boolean available() {
        return LIBC != null;
    }

    private static LibC load() {
        if (!Platform.isLinux() || !Platform.is64Bit() || !(Platform.isIntel() || ARM)) {
            LOG.warnf(
                    "Folders are opened without openat on this platform (%s %s): a folder swapped for a symlink "
                            + "between a check and its use is not detected",
                    System.getProperty("os.name"), System.getProperty("os.arch"));
            return null;
        }
        try {
            return Native.load("c", LibC.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.warnf("Folders are opened without openat (libc not loadable: %s)", e.getMessage());
            return null;
        }
    }

    static void closeQuietly(int fd) {
        if (fd >= 0 && LIBC != null) {
            try {
                LIBC.close(fd);
            } catch (LastErrorException e) {
                // a read-only descriptor of a folder or file: nothing to lose
            }
        }
    }
}
