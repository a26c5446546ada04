package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.chunk.Abort;
import dev.ferry.fs.NativeFiles;

/**
 * A second party swapping inbox entries between the scan and the open: the producer opens exactly what it scanned, or
 * nothing, and never waits on a FIFO.
 */
class InboxRacesTest {

    @TempDir
    Path root;

    Path inbox() throws IOException {
        return Files.createDirectories(root.resolve("inbox"));
    }

    static void mkfifo(Path path) throws Exception {
        Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assertThat(p.waitFor()).as("mkfifo " + path).isZero();
    }

    @Test
    @Timeout(20)
    void aFileSwappedForAFifoAfterTheScanIsNotOpenedAndBlocksNothing() throws Exception {
        Path inbox = inbox();
        Path file = Files.writeString(inbox.resolve("report.csv"), "a,b\n");
        FileState scanned = FileState.read(inbox, file);
        Files.delete(file);
        mkfifo(file);

        // Before: FileChannel.open on the FIFO waited for a writer, forever; four of them stopped the producer.
        assertThatThrownBy(() -> InboxFiles.open(inbox, scanned)).isInstanceOf(InboxFiles.NotTheScannedFile.class)
                .hasMessageContaining("no longer a regular file");
        assertThat(NativeFiles.available()).as("the native open is used on this machine").isTrue();
    }

    @Test
    @Timeout(20)
    void aFolderSwappedForASymlinkAfterTheScanIsNotFollowed() throws Exception {
        Path inbox = inbox();
        Path file = Files.writeString(Files.createDirectories(inbox.resolve("a/b")).resolve("f.bin"), "inbox data");
        FileState scanned = FileState.read(inbox, file);
        // Outside the inbox, the same relative layout, a secret with the same size.
        Path outside = Files.createDirectories(root.resolve("outside/b"));
        Files.writeString(outside.resolve("f.bin"), "SECRET!!!!");
        Files.move(inbox.resolve("a"), inbox.resolve("a.old"));
        Files.createSymbolicLink(inbox.resolve("a"), root.resolve("outside"));

        assertThatThrownBy(() -> InboxFiles.open(inbox, scanned)).isInstanceOf(InboxFiles.NotTheScannedFile.class)
                .hasMessageContaining("folder a is a symlink or not a folder");
    }

    @Test
    void aFileReplacedOrTurnedIntoASymlinkIsNotTheScannedOne() throws Exception {
        Path inbox = inbox();
        Path file = Files.writeString(inbox.resolve("x.txt"), "one");
        FileState scanned = FileState.read(inbox, file);
        Path other = Files.writeString(inbox.resolve("y.txt"), "two");
        Files.move(other, file, StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> InboxFiles.open(inbox, scanned)).isInstanceOf(InboxFiles.NotTheScannedFile.class)
                .hasMessageContaining("replaced or changed");

        Files.delete(file);
        Files.createSymbolicLink(file, root.resolve("elsewhere"));
        assertThatThrownBy(() -> InboxFiles.open(inbox, scanned)).isInstanceOf(InboxFiles.NotTheScannedFile.class)
                .hasMessageContaining("symlink");
    }

    @Test
    void theScannedFileIsReadThroughItsDescriptor() throws Exception {
        Path inbox = inbox();
        Path file = Files.writeString(Files.createDirectories(inbox.resolve("deep/er")).resolve("ok.txt"), "hello");
        try (FileChannel in = InboxFiles.open(inbox, FileState.read(inbox, file))) {
            ByteBuffer buffer = ByteBuffer.allocate(16);
            in.read(buffer, 0);
            assertThat(new String(buffer.array(), 0, buffer.position())).isEqualTo("hello");
        }
    }

    @Test
    @Timeout(30)
    void aSenderWhoseFileBecameAFifoRestartsTheTransferInsteadOfHanging() throws Exception {
        Path inbox = inbox();
        Path file = Files.write(inbox.resolve("swap.bin"), new byte[10_000]);
        FileState scanned = FileState.read(inbox, file);
        Files.delete(file);
        mkfifo(file);
        List<Object> sent = new ArrayList<>();
        FileSender sender = new FileSender((record, partition) -> {
            sent.add(record);
            return CompletableFuture.completedFuture(null);
        }, inbox, 4096, 8, 1, null, Duration.ofSeconds(10));
        assertThat(sender.send(scanned, "0123456789abcdef0123456789abcdef", 0, 0, 0, next -> {
        })).isEqualTo(FileSender.Result.CHANGED);
        assertThat(sent).hasSize(1).allSatisfy(r -> assertThat(r).isInstanceOf(Abort.class));
    }

    @Test
    void symlinksAndFifosInTheInboxAreReportedOnceEachAndNeverSent() throws Exception {
        Path inbox = inbox();
        Files.writeString(inbox.resolve("real.txt"), "real");
        Files.createSymbolicLink(inbox.resolve("link.txt"), Path.of("/etc/hostname"));
        Files.createSymbolicLink(inbox.resolve("linked-dir"), root);
        mkfifo(inbox.resolve("pipe"));
        List<InboxScanner.Skipped> skipped = new ArrayList<>();
        InboxScanner scanner = new InboxScanner(inbox,
                new InboxFilter(List.of("**"), List.of(".*", "*.part", "*.tmp"), null), skipped::add);

        Map<String, FileState> first = scanner.scan(dir -> {
        });
        Map<String, FileState> second = scanner.scan(dir -> {
        });

        assertThat(first.keySet()).containsExactly("real.txt");
        assertThat(second.keySet()).containsExactly("real.txt");
        assertThat(skipped).extracting(InboxScanner.Skipped::relativePath).containsExactlyInAnyOrder("link.txt",
                "linked-dir", "pipe");
        assertThat(skipped).filteredOn(s -> s.relativePath().equals("pipe")).first()
                .extracting(InboxScanner.Skipped::why).asString().contains("FIFO");
    }
}
