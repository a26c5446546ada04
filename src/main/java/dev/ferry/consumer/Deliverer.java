package dev.ferry.consumer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

import org.jboss.logging.Logger;

import dev.ferry.chunk.Hashing;
import dev.ferry.chunk.RelativePaths;
import dev.ferry.config.FerryConfig.ConflictPolicy;
import dev.ferry.fs.FolderHandle;

/**
 * Moves a verified staging file into the outbox: the one place that writes a delivered file's name. The staging file
 * lives on the outbox's file system, so delivery is a single atomic link or rename and a reader of the outbox sees
 * either nothing or the whole, verified file.
 * <p>
 * An existing file at the target is never silently replaced: identical content means the file was already delivered (a
 * replay after a crash) and nothing happens; different content follows {@code ferry.on-conflict}.
 */
final class Deliverer {

    private static final Logger LOG = Logger.getLogger(Deliverer.class);

    enum Outcome {
        DELIVERED,
        /** The same content is already there: a replay, nothing to do. */
        ALREADY_THERE,
        /** A different file is there and the policy is {@code skip}. */
        SKIPPED
    }

    record Published(Outcome outcome, Path target) {
    }

    private final Path outbox;
    private final ConflictPolicy policy;

    Deliverer(Path outbox, ConflictPolicy policy) {
        this.outbox = outbox;
        this.policy = policy;
    }

    Path outbox() {
        return outbox;
    }

    /**
     * Publishes {@code staged}, which must be fsynced and verified. The new directory entry is durable once the caller
     * syncs the target's folder; {@link Delivery} does that once per folder for a whole batch of files. The staging
     * file is left for the caller to remove once the delivery is recorded, so publishing again after a failure finds
     * the file in place and reports {@link Outcome#ALREADY_THERE}.
     */
    Published publish(Path staged, String relativePath, long modifiedMillis, int mode, long size, byte[] sha256)
            throws IOException, UnsafePathException {
        try (OutboxPaths.Target target = OutboxPaths.open(outbox, relativePath)) {
            return publish(staged, target, relativePath, modifiedMillis, mode, size, sha256);
        }
    }

    private Published publish(Path staged, OutboxPaths.Target target, String relativePath, long modifiedMillis,
            int mode, long size, byte[] sha256) throws IOException {
        try {
            applyMetadata(staged, modifiedMillis, mode);
        } catch (NoSuchFileException e) {
            // Published before and its staging file removed (a retried batch): found in place below.
        }
        // Every name is tried inside the folder opened for the target, never through a path walked again.
        String name = target.name();
        for (int n = 2;; n++) {
            Path candidate = target.folder().entry(name);
            Path shown = target.logical().resolveSibling(name);
            if (linkNoReplace(staged, candidate)) {
                return new Published(Outcome.DELIVERED, shown);
            }
            if (sameContent(target.folder(), name, size, sha256)) {
                return new Published(Outcome.ALREADY_THERE, shown);
            }
            if (policy == ConflictPolicy.SKIP) {
                LOG.warnf("%s exists with different content; skipping the new file (ferry.on-conflict=skip)",
                        relativePath);
                return new Published(Outcome.SKIPPED, shown);
            }
            if (policy == ConflictPolicy.REPLACE) {
                // A second link to the staging file is renamed over the old file, so the staging file stays.
                Path spare = staged.resolveSibling(staged.getFileName() + ".replace");
                Files.deleteIfExists(spare);
                try {
                    Files.createLink(spare, staged);
                } catch (UnsupportedOperationException | IOException e) {
                    spare = staged; // no hard links here: the staging file itself is renamed
                }
                Files.move(spare, candidate, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                LOG.infof("%s replaced with new content (ferry.on-conflict=replace)", relativePath);
                return new Published(Outcome.DELIVERED, shown);
            }
            name = numbered(target.logical(), n).getFileName().toString();
        }
    }

    /**
     * A hard link publishes atomically and, unlike rename, fails if the name is taken, so a concurrent writer's file is
     * never clobbered. File systems without hard links fall back to a checked rename.
     */
    private static boolean linkNoReplace(Path staged, Path target) throws IOException {
        try {
            Files.createLink(target, staged);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (UnsupportedOperationException | IOException e) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
            return true;
        }
    }

    /** True if {@code name} in {@code folder} is a regular file with this content (never waits on a planted FIFO). */
    private static boolean sameContent(FolderHandle folder, String name, long size, byte[] sha256) throws IOException {
        try (FileChannel existing = folder.openRegularFile(name)) {
            if (existing == null || existing.size() != size) {
                return false;
            }
            try (InputStream in = new DigestInputStream(Channels.newInputStream(existing), Hashing.sha256())) {
                MessageDigest digest = ((DigestInputStream) in).getMessageDigest();
                in.transferTo(OutputStream.nullOutputStream());
                return Arrays.equals(digest.digest(), sha256);
            }
        }
    }

    /**
     * {@code a/report.csv} becomes {@code a/report (2).csv}. A name already near the file system's limit gives up the
     * end of its stem (never the extension, unless the extension alone is too long), so a numbered name always fits.
     */
    static Path numbered(Path target, int n) {
        String name = target.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String extension = dot > 0 ? name.substring(dot) : "";
        String suffix = " (" + n + ")";
        int room = RelativePaths.MAX_SEGMENT_BYTES - RelativePaths.utf8Length(suffix);
        if (RelativePaths.utf8Length(extension) > room / 2) {
            extension = "";
            stem = name;
        }
        stem = RelativePaths.truncateUtf8(stem, room - RelativePaths.utf8Length(extension));
        return target.resolveSibling(stem + suffix + extension);
    }

    private static void applyMetadata(Path staged, long modifiedMillis, int mode) throws IOException {
        Files.setLastModifiedTime(staged, FileTime.fromMillis(modifiedMillis));
        if (mode >= 0) {
            try {
                Files.setPosixFilePermissions(staged, permissions(mode));
            } catch (UnsupportedOperationException e) {
                // Not a POSIX file system: the outbox's defaults apply.
            }
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = { PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_READ };
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }
}
