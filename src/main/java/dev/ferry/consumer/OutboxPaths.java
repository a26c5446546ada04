package dev.ferry.consumer;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import dev.ferry.chunk.RelativePaths;
import dev.ferry.fs.FolderHandle;

/**
 * Joins an untrusted relative path to the outbox without ever leaving it. {@link RelativePaths} already refused
 * absolute paths and {@code ..}; what remains is the file system itself: a folder on the way that is a symlink (planted
 * by anyone who can write the outbox, before or during a delivery) would redirect the write, so the target's folder is
 * opened one level at a time without following links ({@link FolderHandle}), missing levels created on the way, and the
 * delivery happens inside that opened folder.
 */
final class OutboxPaths {

    /** Reserved for Ferry's staging and quarantine areas; never a delivery target. */
    static final String FERRY_DIR = ".ferry";

    /**
     * Bytes kept free in a target path for a numbered name ({@code name (12).bin}), so that a {@code keep-both} name of
     * a path that fits still fits.
     */
    static final int NUMBERED_ROOM = 16;

    /** The longest absolute path the platform takes, without its terminating NUL (PATH_MAX - 1). */
    static final int MAX_TARGET_BYTES = RelativePaths.MAX_BYTES - 1;

    private OutboxPaths() {
    }

    /**
     * A delivery target: its folder, opened without following a symlink at any level (so a folder swapped for a link
     * after the check cannot redirect the delivery), and the file's name in it.
     *
     * @param logical
     *            the target as a plain path below the outbox, for messages and receipts
     */
    record Target(FolderHandle folder, String name, Path logical) implements AutoCloseable {

        /** The target file, as a path that resolves inside the opened folder. */
        Path entry() {
            return folder.entry(name);
        }

        @Override
        public void close() {
            folder.close();
        }
    }

    /** {@code target}, a path in {@code outbox}, as the relative path receipts and logs show (always with '/'). */
    static String relative(Path outbox, Path target) {
        return outbox.relativize(target).toString().replace(File.separatorChar, '/');
    }

    /** Checks {@code relativePath} and creates its target's folders; the target as a plain path. */
    static Path prepare(Path outbox, String relativePath) throws UnsafePathException, IOException {
        try (Target target = open(outbox, relativePath)) {
            return target.logical();
        }
    }

    /**
     * Checks {@code relativePath} against the outbox and opens its target's folder, creating missing levels; the caller
     * closes it.
     *
     * @throws UnsafePathException
     *             the path breaks the rule, does not fit the platform's limit, names Ferry's folder, or a level on the
     *             way (or the target) is a symlink or not what it must be
     */
    static Target open(Path outbox, String relativePath) throws UnsafePathException, IOException {
        String problem = RelativePaths.problemWith(relativePath);
        if (problem != null) {
            throw new UnsafePathException(problem);
        }
        int targetBytes = RelativePaths.utf8Length(outbox.toString()) + 1 + RelativePaths.utf8Length(relativePath);
        if (targetBytes + NUMBERED_ROOM > MAX_TARGET_BYTES) {
            throw new UnsafePathException("path is " + RelativePaths.utf8Length(relativePath) + " bytes; joined to the "
                    + "outbox " + outbox + " it would be " + targetBytes + " bytes, and at most "
                    + (MAX_TARGET_BYTES - NUMBERED_ROOM) + " fit (PATH_MAX with room for a numbered name)");
        }
        String[] segments = relativePath.split("/");
        if (segments[0].equals(FERRY_DIR)) {
            throw new UnsafePathException("path is inside Ferry's reserved folder " + FERRY_DIR + ": " + relativePath);
        }
        int slash = relativePath.lastIndexOf('/');
        FolderHandle handle;
        try {
            handle = FolderHandle.open(outbox, slash < 0 ? Path.of("") : Path.of(relativePath.substring(0, slash)),
                    true);
        } catch (FolderHandle.NotAFolder e) {
            throw new UnsafePathException("folder " + e.getMessage() + " in the outbox");
        } catch (InvalidPathException e) {
            // The JVM cannot encode the name in the file system's charset (a non-UTF-8 locale): the record's fault.
            throw new UnsafePathException("path cannot be written on this file system: " + e.getMessage());
        }
        Target target = new Target(handle, segments[segments.length - 1], outbox.resolve(relativePath));
        // One lstat, inside the opened folder: the usual answer is "no such file" (a new name), and each look costs a
        // lookup through the folder's descriptor and, when missing, an exception.
        BasicFileAttributes existing;
        try {
            existing = Files.readAttributes(target.entry(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return target;
        } catch (IOException | RuntimeException e) {
            target.close();
            throw e;
        }
        if (existing.isSymbolicLink() || existing.isDirectory()) {
            target.close();
            throw new UnsafePathException("target " + relativePath + " in the outbox is a "
                    + (existing.isSymbolicLink() ? "symlink" : "folder"));
        }
        return target;
    }
}
