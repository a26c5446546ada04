package dev.ferry.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.ferry.chunk.ChunkCompression;
import dev.ferry.config.FerryConfig.SourcePolicy;

class RoutesFileTest {

    static RoutesFile.Defaults defaults(boolean produces, boolean consumes) {
        return new RoutesFile.Defaults("ferry-chunks", List.of("**"), List.of(".*"), 512 * 1024, SourcePolicy.KEEP,
                Optional.empty(), ChunkCompression.NONE, Optional.empty(),
                Set.of("ferry-chunks-dlq", "ferry-chunks-receipts"), produces, consumes,
                Pattern.compile("ferry-chunks(\\..+)?"));
    }

    static Routes parse(String yaml, boolean produces, boolean consumes) throws InvalidRoutesException {
        return RoutesFile.parse(yaml, "routes.yaml", defaults(produces, consumes));
    }

    @Test
    void keysLeftOutTakeTheFlatSettingsAndTheTopicFollowsTheName() throws Exception {
        Routes routes = parse("""
                routes:
                  - name: reports
                    inbox: /data/in/reports
                    outbox: /data/out/reports
                  - name: images
                    inbox: /data/in/images
                    outbox: /data/out/images
                    topic: ferry-chunks.pictures
                    include: "**/*.png"
                    chunk-size: 1M
                    source-policy: delete
                """, true, true);
        Route reports = routes.byName().get("reports");
        assertThat(reports.topic()).isEqualTo("ferry-chunks.reports");
        assertThat(reports.include()).containsExactly("**");
        assertThat(reports.chunkSize()).isEqualTo(512 * 1024);
        assertThat(reports.sourcePolicy()).isEqualTo(SourcePolicy.KEEP);
        Route images = routes.byName().get("images");
        assertThat(images.topic()).isEqualTo("ferry-chunks.pictures");
        assertThat(images.include()).containsExactly("**/*.png");
        assertThat(images.chunkSize()).isEqualTo(1024 * 1024);
        assertThat(images.sourcePolicy()).isEqualTo(SourcePolicy.DELETE);
        assertThat(images.inbox()).contains(Path.of("/data/in/images"));
        assertThat(routes.forTopic("ferry-chunks.pictures")).contains(images);
    }

    @Test
    void compressionAndEncryptionKeyArePerRouteWithNoneForARouteInTheClear() throws Exception {
        RoutesFile.Defaults withKey = new RoutesFile.Defaults("ferry-chunks", List.of("**"), List.of(), 512 * 1024,
                SourcePolicy.KEEP, Optional.empty(), ChunkCompression.LZ4, Optional.of(Path.of("/keys/default.aes")),
                Set.of(), true, false, Pattern.compile(".*"));
        Routes routes = RoutesFile.parse("""
                routes:
                  - {name: a, inbox: /in/a}
                  - {name: b, inbox: /in/b, compression: zstd, encryption-key: /keys/b.aes}
                  - {name: c, inbox: /in/c, compression: none, encryption-key: none}
                """, "routes.yaml", withKey);
        assertThat(routes.byName().get("a").compression()).isEqualTo(ChunkCompression.LZ4);
        assertThat(routes.byName().get("a").encryptionKey()).contains(Path.of("/keys/default.aes"));
        assertThat(routes.byName().get("b").compression()).isEqualTo(ChunkCompression.ZSTD);
        assertThat(routes.byName().get("b").encryptionKey()).contains(Path.of("/keys/b.aes"));
        assertThat(routes.byName().get("c").compression()).isEqualTo(ChunkCompression.NONE);
        assertThat(routes.byName().get("c").encryptionKey()).isEmpty();
        assertThat(routes.byName().get("a").sameForProducer(routes.byName().get("a"))).isTrue();

        assertThatThrownBy(() -> parse("""
                routes:
                  - {name: d, inbox: /in/d, compression: brotli, encryption-key: keys/d.aes}
                """, true, false)).isInstanceOfSatisfying(InvalidRoutesException.class,
                e -> assertThat(e.problems())
                        .contains("routes[0] (d): compression is \"brotli\"; allowed: none, zstd, lz4, auto")
                        .contains("routes[0] (d): encryption-key is \"keys/d.aes\"; allowed: an absolute path"));
    }

    @Test
    void everyProblemIsNamedWithRouteKeyValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> parse("""
                routes:
                  - name: Reports
                    inbox: /a
                  - name: big
                    inbox: relative/path
                    outbox: /out/big
                    chunk-size: 64M
                    source-policy: shred
                    inbx: /typo
                  - name: moved
                    inbox: /in/moved
                    outbox: /out/moved
                    source-policy: move
                    topic: other-topic
                """, true, true)).isInstanceOfSatisfying(InvalidRoutesException.class, e -> assertThat(e.problems())
                .contains("routes[0]: name is \"Reports\"; allowed: 1 to 63 of a-z, 0-9 and -, starting and ending "
                        + "with a letter or digit")
                .contains("routes[1] (big): inbox is \"relative/path\"; allowed: an absolute path")
                .contains("routes[1] (big): chunk-size is \"64M\"; allowed: 1K to 16M")
                .contains("routes[1] (big): source-policy is \"shred\"; allowed: keep, delete, move")
                .anySatisfy(p -> assertThat(p).startsWith("routes[1] (big): unknown key \"inbx\"; allowed: "))
                .contains("routes[2] (moved): source-policy is move but there is no archive to move sent files to")
                .anySatisfy(p -> assertThat(p)
                        .startsWith("routes[2] (moved): topic other-topic is outside " + "ferry.topic-pattern")));
    }

    @Test
    void overlappingFoldersAndSharedTopicsAreRefused() {
        assertThatThrownBy(() -> parse("""
                routes:
                  - name: a
                    inbox: /data/in
                    outbox: /data/out/a
                    topic: ferry-chunks.x
                  - name: b
                    inbox: /data/in/b
                    outbox: /data/out/b
                    topic: ferry-chunks.x
                """, true, true)).isInstanceOfSatisfying(InvalidRoutesException.class, e -> assertThat(e.problems())
                .contains("routes a and b both read topic ferry-chunks.x: the consumer could not tell which outbox "
                        + "a file goes to")
                .contains("a inbox (/data/in) and b inbox (/data/in/b) overlap: files would be sent or delivered "
                        + "twice"));
    }

    @Test
    void eachRoleRequiresOnlyItsOwnFolder() throws Exception {
        String producerOnly = "routes:\n  - name: a\n    inbox: /in/a\n";
        assertThat(parse(producerOnly, true, false).all()).hasSize(1);
        assertThatThrownBy(() -> parse(producerOnly, false, true)).isInstanceOfSatisfying(InvalidRoutesException.class,
                e -> assertThat(e.problems())
                        .containsExactly("routes[0] (a): outbox is required: the consumer delivers into it"));
    }

    @Test
    void notYamlOrTheWrongShapeSaysSo() {
        assertThatThrownBy(() -> parse("routes: [unclosed", true, true)).isInstanceOf(InvalidRoutesException.class)
                .hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> parse("paths:\n  - a\n", true, true))
                .hasMessageContaining("expected a mapping with the key \"routes\"");
        assertThatThrownBy(() -> parse("routes: []\n", true, true)).hasMessageContaining("at least one route");
        assertThatThrownBy(() -> parse(
                "routes:\n  - name: a\n    inbox: /in\n    outbox: /out\n" + "    topic: ferry-chunks-receipts\n", true,
                true)).hasMessageContaining("topic ferry-chunks-receipts is Ferry's dead-letter or receipts topic");
    }
}
