package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.jboss.logging.Logger;

import dev.ferry.config.FerryConfig.SourcePolicy;

/**
 * Applies {@code ferry.source-policy} to a file whose chunks are all acknowledged. It runs only then, and only if the
 * file is still exactly what was sent: a file rewritten in the meantime is a new transfer, not a sent one.
 */
final class SourceDisposer {

    private static final Logger LOG = Logger.getLogger(SourceDisposer.class);

    private final SourcePolicy policy;
    private final Path inbox;
    private final Path archive;

    SourceDisposer(SourcePolicy policy, Path inbox, Path archive) {
        this.policy = policy;
        this.inbox = inbox;
        this.archive = archive;
    }

    void dispose(FileState sent, String transferId) {
        if (policy == SourcePolicy.KEEP) {
            return;
        }
        if (sent.changedOnDisk(inbox)) {
            LOG.infof("Transfer %s (%s): source changed after it was sent; leaving it for a new transfer", transferId,
                    sent.relativePath());
            return;
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
        } catch (IOException e) {
            LOG.errorf("Transfer %s (%s): cannot %s the source: %s", transferId, sent.relativePath(),
                    policy.name().toLowerCase(), e);
        }
    }
}
