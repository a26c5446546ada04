package dev.ferry.consumer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import dev.ferry.chunk.RelativePaths;

/**
 * Joins an untrusted relative path to the outbox without ever leaving it. {@link RelativePaths} already refused
 * absolute paths and {@code ..}; what remains is the file system itself: a folder on the way that is a symlink (planted
 * by anyone who can write the outbox) would redirect the write, so every existing component is checked without
 * following links, and missing folders are created one by one.
 */
final class OutboxPaths {

    /** Reserved for Ferry's staging and quarantine areas; never a delivery target. */
    static final String FERRY_DIR = ".ferry";

    private OutboxPaths() {
    }

    /**
     * Bytes kept free in a target path for a numbered name ({@code name (12).bin}), so that a {@code keep-both} name of
     * a path that fits still fits.
     */
    static final int NUMBERED_ROOM = 16;

    /** The longest absolute path the platform takes, without its terminating NUL (PATH_MAX - 1). */
    static final int MAX_TARGET_BYTES = RelativePaths.MAX_BYTES - 1;

    /** The target for {@code relativePath}, with its parent folders created. */
    static Path prepare(Path outbox, String relativePath) throws UnsafePathException, IOException {
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
        try {
            return prepareChecked(outbox, relativePath);
        } catch (java.nio.file.InvalidPathException e) {
            // The JVM cannot encode the name in the file system's charset (a non-UTF-8 locale): the record's fault.
            throw new UnsafePathException("path cannot be written on this file system: " + e.getMessage());
        }
    }

    private static Path prepareChecked(Path outbox, String relativePath) throws UnsafePathException, IOException {
        String[] segments = relativePath.split("/");
        if (segments[0].equals(FERRY_DIR)) {
            throw new UnsafePathException("path is inside Ferry's reserved folder " + FERRY_DIR + ": " + relativePath);
        }
        Path dir = outbox;
        for (int i = 0; i < segments.length - 1; i++) {
            dir = dir.resolve(segments[i]);
            if (Files.isSymbolicLink(dir)) {
                throw new UnsafePathException("folder " + outbox.relativize(dir) + " in the outbox is a symlink");
            }
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(dir);
                } catch (java.nio.file.FileAlreadyExistsException raced) {
                    // Created meanwhile; checked below like any existing folder.
                }
            }
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                throw new UnsafePathException("" + outbox.relativize(dir) + " in the outbox is not a folder");
            }
        }
        Path target = dir.resolve(segments[segments.length - 1]);
        if (Files.isSymbolicLink(target)) {
            throw new UnsafePathException("target " + relativePath + " in the outbox is a symlink");
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnsafePathException("target " + relativePath + " in the outbox is a folder");
        }
        return target;
    }
}
