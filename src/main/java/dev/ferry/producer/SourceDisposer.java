package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Function;

import org.jboss.logging.Logger;

import dev.ferry.config.FerryConfig.SourcePolicy;

/**
 * Applies {@code ferry.source-policy} to a file the consumer side has delivered (its receipt says so). It runs only
 * then, and only if the file is still exactly what was sent: a file rewritten in the meantime is a new transfer, not a
 * sent one.
 */
final class SourceDisposer {

    private static final Logger LOG = Logger.getLogger(SourceDisposer.class);

    private final SourcePolicy policy;
    private final Path inbox;
    private final Path archive;
    private final Function<FileState, String> ids;

    SourceDisposer(SourcePolicy policy, Path inbox, Path archive) {
        this(policy, inbox, archive, TransferIds::of);
    }

    /** {@code ids}: how the route names a file's version (a named route's ids include the route). */
    SourceDisposer(SourcePolicy policy, Path inbox, Path archive, Function<FileState, String> ids) {
        this.policy = policy;
        this.inbox = inbox;
        this.archive = archive;
        this.ids = ids;
    }

    /**
     * Applies the policy to the file at {@code relativePath} if it is still the version {@code transferId} names.
     *
     * @return what was done, for the log
     */
    String dispose(String relativePath, String transferId) {
        if (policy == SourcePolicy.KEEP) {
            return "source kept";
        }
        FileState sent = FileState.read(inbox, inbox.resolve(relativePath));
        if (sent == null) {
            return "source already gone";
        }
        if (!ids.apply(sent).equals(transferId)) {
            LOG.infof("Transfer %s (%s): source changed after it was sent; leaving it for a new transfer", transferId,
                    relativePath);
            return "source changed since, kept";
        }
        Path marker = CompletionTracker.markerOf(sent.file());
        try {
            if (policy == SourcePolicy.DELETE) {
                Files.delete(sent.file());
            } else {
                Path target = archive.resolve(sent.relativePath());
                Files.createDirectories(target.getParent());
                Files.move(sent.file(), target, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.deleteIfExists(marker);
            return policy == SourcePolicy.DELETE ? "source deleted" : "source moved to the archive";
        } catch (IOException e) {
            LOG.errorf("Transfer %s (%s): cannot %s the source: %s", transferId, sent.relativePath(),
                    policy.name().toLowerCase(), e);
            return "source policy failed";
        }
    }
}
