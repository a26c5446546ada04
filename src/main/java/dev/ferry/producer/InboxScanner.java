package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import org.jboss.logging.Logger;

/**
 * Walks the inbox. Symlinks are never followed, neither to files nor to folders: a link would let anyone who can write
 * the inbox send any file the process can read.
 */
final class InboxScanner {

    private static final Logger LOG = Logger.getLogger(InboxScanner.class);

    private final Path inbox;
    private final InboxFilter filter;

    InboxScanner(Path inbox, InboxFilter filter) {
        this.inbox = inbox;
        this.filter = filter;
    }

    /** Every candidate file below the inbox, by relative path; {@code onDirectory} sees every folder walked. */
    Map<String, FileState> scan(Consumer<Path> onDirectory) {
        Map<String, FileState> found = new HashMap<>();
        try {
            Files.walkFileTree(inbox, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (!dir.equals(inbox) && filter.excludesName(dir.getFileName())) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    onDirectory.accept(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && !filter.excludesName(file.getFileName())
                            && filter.includes(inbox.relativize(file))) {
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
            LOG.warnf("Cannot walk inbox %s: %s", inbox, e.getMessage());
        }
        return found;
    }

    Path inbox() {
        return inbox;
    }
}
