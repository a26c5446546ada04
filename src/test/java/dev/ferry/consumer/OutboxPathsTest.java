package dev.ferry.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxPathsTest {

    @TempDir
    Path root;

    @Test
    void nestedFoldersAreCreatedInsideTheOutbox() throws Exception {
        Path outbox = Files.createDirectories(root.resolve("out"));
        assertThat(OutboxPaths.prepare(outbox, "a/b/c.txt")).isEqualTo(outbox.resolve("a/b/c.txt"));
        assertThat(outbox.resolve("a/b")).isDirectory();
    }

    @Test
    void aSymlinkedFolderOrTargetIsRefused() throws Exception {
        Path outbox = Files.createDirectories(root.resolve("out"));
        Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
        Files.createSymbolicLink(outbox.resolve("dir"), elsewhere);
        Files.createSymbolicLink(outbox.resolve("file.txt"), elsewhere.resolve("f"));
        assertThatThrownBy(() -> OutboxPaths.prepare(outbox, "dir/x")).isInstanceOf(UnsafePathException.class);
        assertThatThrownBy(() -> OutboxPaths.prepare(outbox, "file.txt")).isInstanceOf(UnsafePathException.class);
        assertThatThrownBy(() -> OutboxPaths.prepare(outbox, "../x")).isInstanceOf(UnsafePathException.class);
        assertThatThrownBy(() -> OutboxPaths.prepare(outbox, ".ferry/x")).isInstanceOf(UnsafePathException.class);
        assertThat(elsewhere).isEmptyDirectory();
    }

    @Test
    void conflictingNamesAreNumberedBeforeTheExtension() {
        assertThat(Deliverer.numbered(Path.of("a/report.csv"), 2)).isEqualTo(Path.of("a/report (2).csv"));
        assertThat(Deliverer.numbered(Path.of("a/README"), 3)).isEqualTo(Path.of("a/README (3)"));
        assertThat(Deliverer.numbered(Path.of(".profile"), 2)).isEqualTo(Path.of(".profile (2)"));
    }
}
