package dev.ferry.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import com.sun.jna.LastErrorException;

/**
 * An open folder below a root, reached without following a symlink at any level, and the paths of its entries.
 * <p>
 * The folder is opened with {@code openat(..., O_DIRECTORY | O_NOFOLLOW)} one level at a time (creating missing levels
 * with {@code mkdirat} if asked), and its entries are named through {@code /proc/self/fd/<fd>/<name>}: the kernel
 * resolves that to exactly the opened folder, whatever happens to the names above it afterwards. So a folder swapped
 * for a symlink after the check cannot redirect a read or a write, and ordinary Java file calls (links, renames,
 * channels) work on the entries. Entries themselves must be opened with {@link LinkOption#NOFOLLOW_LINKS}.
 * <p>
 * Where {@link NativeFiles} is not available, each level is checked without following links and the entries are plain
 * paths: the same rule, with a window between check and use.
 */
public final class FolderHandle implements AutoCloseable {

    /** The attributes a {@link Check} sees. */
    public static final String ATTRIBUTES = "unix:size,lastModifiedTime,ctime,fileKey,isRegularFile,mode";

    /** A level of the folder's path is a symlink or not a folder. */
    public static final class NotAFolder extends IOException {
        NotAFolder(String message) {
            super(message);
        }
    }

    private final int fd;
    private final Path folder;
    private final Path logical;

    private FolderHandle(int fd, Path logical) {
        this.fd = fd;
        this.logical = logical;
        this.folder = fd >= 0 ? Path.of("/proc/self/fd/" + fd) : logical;
    }

    /**
     * Opens {@code root/relative} without following a symlink below {@code root} ({@code root} itself is the operator's
     * choice and may be a link).
     *
     * @param create
     *            create missing levels
     *
     * @throws NotAFolder
     *             naming the level that is a symlink or not a folder
     */
    public static FolderHandle open(Path root, Path relative, boolean create) throws IOException {
        Path logical = root.resolve(relative);
        if (!NativeFiles.available()) {
            return openPortable(root, relative, create);
        }
        int dir = -1;
        try {
            dir = NativeFiles.LIBC.open(root.toString(),
                    NativeFiles.O_RDONLY | NativeFiles.O_DIRECTORY | NativeFiles.O_CLOEXEC);
            Path reached = Path.of("");
            for (Path level : relative) {
                String name = level.toString();
                if (name.isEmpty()) {
                    continue;
                }
                reached = reached.resolve(name);
                int next;
                try {
                    next = openLevel(dir, name);
                } catch (LastErrorException e) {
                    if (!create || e.getErrorCode() != NativeFiles.ENOENT) {
                        throw notAFolderOr(e, reached);
                    }
                    // Created only when missing: the folder usually exists, and a failed call costs an exception.
                    try {
                        NativeFiles.LIBC.mkdirat(dir, name, 0777);
                    } catch (LastErrorException raced) {
                        if (raced.getErrorCode() != NativeFiles.EEXIST) {
                            throw raced;
                        }
                    }
                    try {
                        next = openLevel(dir, name);
                    } catch (LastErrorException again) {
                        throw notAFolderOr(again, reached);
                    }
                }
                NativeFiles.closeQuietly(dir);
                dir = next;
            }
            FolderHandle handle = new FolderHandle(dir, logical);
            dir = -1;
            return handle;
        } catch (LastErrorException e) {
            throw new IOException("cannot open folder " + logical + ": errno " + e.getErrorCode(), e);
        } finally {
            NativeFiles.closeQuietly(dir);
        }
    }

    private static int openLevel(int dir, String name) {
        return NativeFiles.LIBC.openat(dir, name,
                NativeFiles.O_RDONLY | NativeFiles.O_DIRECTORY | NativeFiles.O_NOFOLLOW | NativeFiles.O_CLOEXEC);
    }

    private static LastErrorException notAFolderOr(LastErrorException e, Path reached) throws NotAFolder {
        if (e.getErrorCode() == NativeFiles.ELOOP || e.getErrorCode() == NativeFiles.ENOTDIR) {
            throw new NotAFolder(reached + " is a symlink or not a folder; not followed");
        }
        return e;
    }

    private static FolderHandle openPortable(Path root, Path relative, boolean create) throws IOException {
        Path dir = root;
        for (Path level : relative) {
            if (level.toString().isEmpty()) {
                continue;
            }
            dir = dir.resolve(level);
            if (Files.isSymbolicLink(dir)) {
                throw new NotAFolder(root.relativize(dir) + " is a symlink; not followed");
            }
            if (create && !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(dir);
                } catch (FileAlreadyExistsException raced) {
                    // checked below like any existing folder
                }
            }
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new NotAFolder(root.relativize(dir) + " is not a folder");
            }
        }
        return new FolderHandle(-1, dir);
    }

    /** The path of entry {@code name} in this very folder. */
    public Path entry(String name) {
        return folder.resolve(name);
    }

    /** This folder, as a path the kernel resolves to the opened folder. */
    public Path path() {
        return folder;
    }

    /** The folder's path as configured and checked, for messages and receipts. */
    public Path logical() {
        return logical;
    }

    /** Decides, from the attributes of an opened entry, whether it may be read; throws to refuse it. */
    @FunctionalInterface
    public interface Check {
        void accept(Map<String, Object> attributes) throws IOException;
    }

    /**
     * Opens entry {@code name} for reading only if it is a regular file: without following a symlink and without
     * waiting on a FIFO (so a planted FIFO or device cannot hang the reader).
     *
     * @return null if the entry is missing, a symlink or not a regular file
     */
    public FileChannel openRegularFile(String name) throws IOException {
        return openChecked(name, attributes -> {
        });
    }

    /**
     * Opens entry {@code name} for reading if it is a regular file that {@code check} accepts. The attributes are those
     * of the opened descriptor, so what is read is what was checked.
     *
     * @return null if the entry is missing, a symlink or not a regular file
     */
    public FileChannel openChecked(String name, Check check) throws IOException {
        if (fd < 0) {
            Path file = entry(name);
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            check.accept(Files.readAttributes(file, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS));
            return FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        }
        int file = -1;
        try {
            file = NativeFiles.LIBC.openat(fd, name, NativeFiles.O_RDONLY | NativeFiles.O_NONBLOCK
                    | NativeFiles.O_NOFOLLOW | NativeFiles.O_NOCTTY | NativeFiles.O_CLOEXEC);
            Path self = Path.of("/proc/self/fd/" + file);
            Map<String, Object> attributes = Files.readAttributes(self, ATTRIBUTES);
            if (!Boolean.TRUE.equals(attributes.get("isRegularFile"))) {
                return null;
            }
            check.accept(attributes);
            // The descriptor pins the inode: opening its /proc link reaches exactly that regular file.
            return FileChannel.open(self, StandardOpenOption.READ);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == NativeFiles.ELOOP || e.getErrorCode() == NativeFiles.ENOENT) {
                return null;
            }
            throw new IOException("cannot open " + logical.resolve(name) + ": errno " + e.getErrorCode(), e);
        } finally {
            NativeFiles.closeQuietly(file);
        }
    }

    @Override
    public void close() {
        NativeFiles.closeQuietly(fd);
    }
}
