package dev.ferry.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A folder reached without following links stays the folder that was checked, whatever is swapped afterwards. */
class FolderHandleTest {

    @TempDir
    Path root;

    @Test
    void aFolderSwappedForASymlinkAfterItWasOpenedCannotRedirectAWrite() throws Exception {
        Path outbox = Files.createDirectories(root.resolve("outbox"));
        Path outside = Files.createDirectories(root.resolve("outside/b"));
        try (FolderHandle folder = FolderHandle.open(outbox, Path.of("a/b"), true)) {
            assertThat(NativeFiles.available()).as("openat is used on this machine").isTrue();
            // Someone who can write the outbox swaps a/ for a link to elsewhere, after the check.
            Files.move(outbox.resolve("a"), outbox.resolve("a.moved"));
            Files.createSymbolicLink(outbox.resolve("a"), root.resolve("outside"));

            Files.writeString(folder.entry("file.txt"), "delivered");
        }
        assertThat(outside.resolve("file.txt")).as("nothing written through the link").doesNotExist();
        assertThat(outbox.resolve("a.moved/b/file.txt")).hasContent("delivered");
    }

    @Test
    void aSymlinkAtAnyLevelIsRefusedWhenOpening() throws Exception {
        Path outbox = Files.createDirectories(root.resolve("outbox"));
        Files.createDirectories(outbox.resolve("x"));
        Files.createSymbolicLink(outbox.resolve("x/y"), root);
        assertThatThrownBy(() -> FolderHandle.open(outbox, Path.of("x/y/z"), true))
                .isInstanceOf(FolderHandle.NotAFolder.class).hasMessageContaining("x/y is a symlink or not a folder");
        assertThat(root.resolve("z")).doesNotExist();
    }

    @Test
    @Timeout(20)
    void aPlantedFifoIsNotOpenedAsAFileAndDoesNotBlock() throws Exception {
        Path outbox = Files.createDirectories(root.resolve("outbox"));
        Process mkfifo = new ProcessBuilder("mkfifo", outbox.resolve("pipe").toString()).start();
        assertThat(mkfifo.waitFor()).isZero();
        Files.createSymbolicLink(outbox.resolve("link"), Path.of("/etc/hostname"));
        Files.writeString(outbox.resolve("plain"), "x");
        try (FolderHandle folder = FolderHandle.open(outbox, Path.of(""), false)) {
            assertThat(folder.openRegularFile("pipe")).isNull();
            assertThat(folder.openRegularFile("link")).isNull();
            assertThat(folder.openRegularFile("missing")).isNull();
            try (FileChannel plain = folder.openRegularFile("plain")) {
                assertThat(plain.size()).isEqualTo(1);
            }
        }
    }
}
