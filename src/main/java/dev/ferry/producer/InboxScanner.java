package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

import dev.ferry.chunk.RelativePaths;

/**
 * Walks the inbox. Symlinks are never followed, neither to files nor to folders: a link would let anyone who can write
 * the inbox send any file the process can read. Entries that are never sent (symlinks, FIFOs, sockets, devices) are
 * reported once each to {@code onSkipped}, and again only if they go and come back.
 */
final class InboxScanner {

    private static final Logger LOG = Logger.getLogger(InboxScanner.class);

    /** An inbox entry that is never sent, and why. */
    record Skipped(String relativePath, String why, Object fileKey) {
    }

    private final Path inbox;
    private final InboxFilter filter;
    private final Consumer<Skipped> onSkipped;
    /** Skipped entries reported and still present at the last scan; bounded by what the inbox holds. */
    private Set<String> reported = new HashSet<>();
    /** Entries (files and folders) visited by all walks so far: what watching costs, in tests. */
    private final AtomicLong visited = new AtomicLong();

    InboxScanner(Path inbox, InboxFilter filter, Consumer<Skipped> onSkipped) {
        this.inbox = inbox;
        this.filter = filter;
        this.onSkipped = onSkipped;
    }

    InboxScanner(Path inbox, InboxFilter filter) {
        this(inbox, filter, skipped -> {
        });
    }

    /** Every candidate file below the inbox, by relative path; {@code onDirectory} sees every folder walked. */
    Map<String, FileState> scan(Consumer<Path> onDirectory) {
        Map<String, FileState> found = new HashMap<>();
        Set<String> skippedNow = new HashSet<>();
        walk(inbox, onDirectory, found, skippedNow);
        reported = skippedNow;
        return found;
    }

    /**
     * The candidate files among {@code paths} (entries a watch event named) and below those that are folders, by
     * relative path: the cost of an event is the entry it names, not the size of the inbox. Paths gone meanwhile are
     * left out (the tracker notices); folders met are handed to {@code onDirectory}.
     */
    Map<String, FileState> scan(Collection<Path> paths, Consumer<Path> onDirectory) {
        Map<String, FileState> found = new HashMap<>();
        Set<String> skippedNow = new HashSet<>();
        for (Path path : paths) {
            if (path.startsWith(inbox) && !path.equals(inbox) && Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                walk(path, onDirectory, found, skippedNow);
            }
        }
        reported.addAll(skippedNow); // the next full scan forgets those gone
        return found;
    }

    private void walk(Path start, Consumer<Path> onDirectory, Map<String, FileState> found, Set<String> skippedNow) {
        try {
            Files.walkFileTree(start, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    visited.incrementAndGet();
                    if (!dir.equals(inbox) && filter.excludesName(dir.getFileName())) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    onDirectory.accept(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    visited.incrementAndGet();
                    if (!attrs.isRegularFile() && !filter.excludesName(file.getFileName())) {
                        skip(file, attrs, skippedNow);
                        return FileVisitResult.CONTINUE;
                    }
                    // A name the path rule refuses is a candidate whatever the globs say: glob patterns cannot match
                    // some of those names (a line terminator such as U+0085), and such a file must be refused
                    // visibly, not ignored in silence.
                    if (attrs.isRegularFile() && !filter.excludesName(file.getFileName())
                            && (filter.includes(inbox.relativize(file)) || breaksThePathRule(file))) {
                        FileState state = FileState.read(inbox, file);
                        if (state != null) {
                            found.put(state.relativePath(), state);
                        }
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    // A file removed mid-walk or unreadable: the next scan sees it again if it matters.
                    LOG.debugf("Cannot read %s: %s", file, e);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warnf("Cannot walk inbox %s: %s", start, e.getMessage());
        }
    }

    private boolean breaksThePathRule(Path file) {
        String relative = inbox.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
        return RelativePaths.problemWith(relative) != null;
    }

    private void skip(Path file, BasicFileAttributes attrs, Set<String> skippedNow) {
        String relative = inbox.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
        String key = relative + "|" + attrs.fileKey();
        skippedNow.add(key);
        if (reported.contains(key)) {
            return;
        }
        String why = attrs.isSymbolicLink() ? "a symlink (never followed: it could point anywhere)"
                : attrs.isDirectory() ? "a folder that cannot be walked"
                        : "not a regular file (a FIFO, socket or device)";
        LOG.warnf("Inbox entry %s skipped: %s", RelativePaths.printable(relative), why);
        onSkipped.accept(new Skipped(relative, why, attrs.fileKey()));
    }

    long visited() {
        return visited.get();
    }

    Path inbox() {
        return inbox;
    }
}
