package dev.ferry.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.config.FerryConfig.ConflictPolicy;

/** A delivery never silently replaces a different file; identical content is never delivered twice. */
class DelivererTest {

    @TempDir
    Path root;

    Deliverer.Published deliver(ConflictPolicy policy, String content) throws Exception {
        Path outbox = Files.createDirectories(root.resolve("out"));
        Path staged = Files.writeString(Files.createDirectories(root.resolve("staging")).resolve("s.part"), content);
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
        Deliverer.Published d = new Deliverer(outbox, policy).publish(staged, "r/report.csv", 0, 0644, content.length(),
                sha);
        Files.delete(staged); // as the Assembler does once the delivery is recorded
        return d;
    }

    @Test
    void replaceSwapsTheFileAtomically() throws Exception {
        deliver(ConflictPolicy.REPLACE, "old");
        Deliverer.Published d = deliver(ConflictPolicy.REPLACE, "new content");
        assertThat(d.outcome()).isEqualTo(Deliverer.Outcome.DELIVERED);
        assertThat(root.resolve("out/r/report.csv")).hasContent("new content");
        assertThat(root.resolve("out/r/report (2).csv")).doesNotExist();
    }

    @Test
    void skipKeepsTheExistingFile() throws Exception {
        deliver(ConflictPolicy.SKIP, "old");
        assertThat(deliver(ConflictPolicy.SKIP, "new content").outcome()).isEqualTo(Deliverer.Outcome.SKIPPED);
        assertThat(root.resolve("out/r/report.csv")).hasContent("old");
        assertThat(root.resolve("out/r/report (2).csv")).doesNotExist();
    }

    @Test
    void keepBothNumbersTheNewFile() throws Exception {
        deliver(ConflictPolicy.KEEP_BOTH, "old");
        deliver(ConflictPolicy.KEEP_BOTH, "new content");
        assertThat(root.resolve("out/r/report.csv")).hasContent("old");
        assertThat(root.resolve("out/r/report (2).csv")).hasContent("new content");
    }

    @Test
    void identicalContentIsAReplayNotASecondFile() throws Exception {
        for (ConflictPolicy policy : ConflictPolicy.values()) {
            deliver(policy, "same");
            assertThat(deliver(policy, "same").outcome()).as(policy.name()).isEqualTo(Deliverer.Outcome.ALREADY_THERE);
        }
        assertThat(root.resolve("out/r/report (2).csv")).doesNotExist();
    }
}
