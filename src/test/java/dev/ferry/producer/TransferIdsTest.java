package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.chunk.WireFormat;

class TransferIdsTest {

    @TempDir
    Path inbox;

    @Test
    void theSameUnchangedFileHasTheSameIdAndAnyChangeMakesANewOne() throws Exception {
        Path file = inbox.resolve("a.txt");
        Files.writeString(file, "hello");
        String id = TransferIds.of(FileState.read(inbox, file));
        assertThat(WireFormat.isTransferId(id)).isTrue();
        assertThat(TransferIds.of(FileState.read(inbox, file))).isEqualTo(id);

        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000));
        assertThat(TransferIds.of(FileState.read(inbox, file))).isNotEqualTo(id);
    }
}
