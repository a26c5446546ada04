package dev.ferry.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderCheckTest {

    @TempDir
    Path dir;

    @Test
    void freeSpaceBelowTheMinimumIsAProblemAndClearsWhenSpaceReturns() throws Exception {
        Path outbox = Files.createDirectories(dir.resolve("out"));
        AtomicLong free = new AtomicLong(100L << 20);
        List<FolderCheck.Folder> folders = List.of(new FolderCheck.Folder("main outbox", outbox, true));

        assertThat(FolderCheck.problems(folders, 256L << 20, p -> free.get()))
                .containsExactly("main outbox " + outbox + " has 100 MiB free, below ferry.min-free-disk (256 MiB)");
        free.set(300L << 20);
        assertThat(FolderCheck.problems(folders, 256L << 20, p -> free.get())).isEmpty();
    }

    @Test
    void aMissingFolderIsNamed() {
        assertThat(FolderCheck.problems(List.of(new FolderCheck.Folder("a inbox", dir.resolve("missing"), false)), 0,
                p -> Long.MAX_VALUE)).containsExactly("a inbox " + dir.resolve("missing") + " is not a folder");
    }

    @Test
    void anInboxIsOnlyRead() throws Exception {
        Path inbox = Files.createDirectories(dir.resolve("in"));
        assertThat(
                FolderCheck.problems(List.of(new FolderCheck.Folder("a inbox", inbox, false)), Long.MAX_VALUE, p -> 0))
                        .as("no free-space rule for folders Ferry only reads").isEmpty();
    }
}
