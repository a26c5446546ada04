package dev.ferry.producer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;

/**
 * Partitions added to the topic while a file is sent must not split it: Kafka's default partitioner would hash the
 * later chunks onto another partition, where the consumer might read them before the file's start.
 */
@QuarkusTest
@TestProfile(PartitionsAddedMidFileTest.Throttled.class)
@WithTestResource(KafkaBrokerResource.class)
class PartitionsAddedMidFileTest {

    public static class Throttled implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // 24 MiB at 4 MiB/s: about six seconds, time enough to add partitions in the middle.
            // The producer refreshes its metadata every half second, so it sees the new partitions mid-file.
            return Map.of("ferry.rate-limit", "4M", "mp.messaging.outgoing.chunks-out.metadata.max.age.ms", "500");
        }
    }

    @Inject
    FerryConfig config;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void aTransferStaysInThePartitionItStartedInWhenPartitionsAreAdded() throws Exception {
        Path inbox = config.producer().inbox().orElseThrow();
        Path file = fileThatKafkaWouldMove(inbox, "grow/partitions.bin");
        String sha = TestFiles.sha256(file);
        Path staging = config.consumer().outbox().orElseThrow().resolve(".ferry/staging");
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            try (Stream<Path> staged = Files.walk(staging)) {
                return staged.anyMatch(p -> p.toString().endsWith(".part"));
            }
        });
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createPartitions(Map.of(config.topics().topic(), NewPartitions.increaseTo(16))).all().get(30,
                    TimeUnit.SECONDS);
        }

        Path delivered = config.consumer().outbox().orElseThrow().resolve("grow/partitions.bin");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(delivered).exists();
            assertThat(TestFiles.sha256(delivered)).isEqualTo(sha);
        });
        assertThat(partitionsHolding("grow/partitions.bin")).as("partitions holding the file's chunks").hasSize(1);
    }

    /**
     * Writes the file with a modification time that makes its transfer id hash to different partitions with 4 and with
     * 16 partitions, so that a producer using Kafka's default partitioning would split it: the test can fail.
     */
    private static Path fileThatKafkaWouldMove(Path inbox, String relative) throws Exception {
        Path hidden = TestFiles.random(inbox.resolve("grow/.partitions.writing"), 24L << 20, 5);
        Object fileKey = Files.readAttributes(hidden, BasicFileAttributes.class).fileKey();
        long mtime = 1_700_000_000_000L;
        while (true) {
            String id = TransferIds.of(new FileState(relative, hidden, 24L << 20, mtime, 0, fileKey, 0644));
            int hash = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8)));
            if (hash % 4 != hash % 16) {
                break;
            }
            mtime += 1000;
        }
        Files.setLastModifiedTime(hidden, FileTime.fromMillis(mtime));
        return Files.move(hidden, inbox.resolve(relative));
    }

    private Set<Integer> partitionsHolding(String path) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        Set<Integer> partitions = new HashSet<>();
        try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> all = reader.partitionsFor(config.topics().topic()).stream()
                    .map(p -> new TopicPartition(config.topics().topic(), p.partition())).toList();
            reader.assign(all);
            reader.seekToBeginning(all);
            Map<TopicPartition, Long> end = reader.endOffsets(all);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (all.stream().anyMatch(tp -> reader.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : reader.poll(Duration.ofMillis(200))) {
                    Header h = r.headers().lastHeader(WireFormat.PATH_HEADER);
                    if (h != null && new String(h.value(), StandardCharsets.UTF_8).equals(path)) {
                        partitions.add(r.partition());
                    }
                }
            }
        }
        return partitions;
    }
}
