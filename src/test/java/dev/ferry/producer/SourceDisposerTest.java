package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.config.FerryConfig.SourcePolicy;

/** What happens to a source once every chunk is acknowledged. */
class SourceDisposerTest {

    @TempDir
    Path root;

    @Test
    void deleteRemovesTheFileAndItsMarker() throws Exception {
        Path inbox = Files.createDirectories(root.resolve("in/sub"));
        Path file = Files.writeString(inbox.resolve("a.txt"), "data");
        Files.writeString(inbox.resolve("a.txt.done"), "");
        FileState sent = FileState.read(root.resolve("in"), file);

        new SourceDisposer(SourcePolicy.DELETE, root.resolve("in"), null).dispose(sent.relativePath(),
                TransferIds.of(sent));

        assertThat(file).doesNotExist();
        assertThat(inbox.resolve("a.txt.done")).doesNotExist();
    }

    @Test
    void moveKeepsTheRelativePathUnderTheArchive() throws Exception {
        Path file = Files.writeString(Files.createDirectories(root.resolve("in/x/y")).resolve("b.bin"), "bytes");
        FileState sent = FileState.read(root.resolve("in"), file);

        new SourceDisposer(SourcePolicy.MOVE, root.resolve("in"), root.resolve("archive")).dispose(sent.relativePath(),
                TransferIds.of(sent));

        assertThat(file).doesNotExist();
        assertThat(root.resolve("archive/x/y/b.bin")).hasContent("bytes");
    }

    @Test
    void aFileChangedAfterItWasSentIsLeftForANewTransfer() throws Exception {
        Path file = Files.writeString(Files.createDirectories(root.resolve("in")).resolve("c.txt"), "v1");
        FileState sent = FileState.read(root.resolve("in"), file);
        Files.writeString(file, "version two");

        new SourceDisposer(SourcePolicy.DELETE, root.resolve("in"), null).dispose(sent.relativePath(),
                TransferIds.of(sent));

        assertThat(file).hasContent("version two");
    }

    @Test
    void keepLeavesTheFile() throws Exception {
        Path file = Files.writeString(Files.createDirectories(root.resolve("in")).resolve("d.txt"), "v1");
        new SourceDisposer(SourcePolicy.KEEP, root.resolve("in"), null).dispose("d.txt",
                TransferIds.of(FileState.read(root.resolve("in"), file)));
        assertThat(file).hasContent("v1");
    }
}
