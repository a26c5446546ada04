package dev.ferry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.companion.KafkaCompanion;

import dev.ferry.chunk.Chunk;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig;
import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.TestFiles;
import dev.ferry.transfer.Side;
import dev.ferry.transfer.TransferBoard;

/**
 * Anyone who may write to the topic can start transfers and never finish them, up to
 * {@code ferry.max-unfinished-transfers} (1000 by default). The consumer keeps each one's first record unacknowledged
 * until the file is delivered; what that costs on the heap must not be the record's bytes, or a thousand first chunks
 * of 512 KiB would not fit in the 256 MiB heap the pods run with.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
class UnfinishedTransfersHeapTest {

    static final int TRANSFERS = 96;

    @Inject
    FerryConfig config;

    @Inject
    TransferBoard board;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void anUnfinishedTransferKeepsNoChunkOnTheHeap() throws Exception {
        int chunk = (int) config.topics().chunkSize().asLongValue();
        String topic = config.topics().topic();
        Random random = new Random(42);
        List<String> ids = new ArrayList<>();
        List<byte[][]> halves = new ArrayList<>();
        for (int i = 0; i < TRANSFERS; i++) {
            ids.add(String.format("%032x", 0xfeed0000L + i));
            byte[] first = new byte[chunk];
            byte[] second = new byte[chunk];
            random.nextBytes(first);
            random.nextBytes(second);
            halves.add(new byte[][] { first, second });
        }
        long before = heapAfterGc();

        try (KafkaCompanion companion = new KafkaCompanion(bootstrap)) {
            List<ProducerRecord<String, byte[]>> firsts = new ArrayList<>();
            for (int i = 0; i < TRANSFERS; i++) {
                firsts.add(record(topic, i, ids.get(i), 0, halves.get(i)));
            }
            companion.produce(Serdes.String(), Serdes.ByteArray()).fromRecords(firsts).awaitCompletion();
            await().atMost(Duration.ofSeconds(60)).until(() -> ids.stream().allMatch(this::firstChunkStaged));

            long held = heapAfterGc() - before;
            long pinnedBefore = (long) TRANSFERS * chunk;
            int cap = config.consumer().maxUnfinishedTransfers();
            System.out.printf("%d unfinished transfers of 2 x %d KiB: heap after GC grew by %d KiB, %d KiB each; at "
                    + "ferry.max-unfinished-transfers=%d that is about %d MiB (their first chunks: %d KiB here, %d MiB "
                    + "at the cap)%n", TRANSFERS, chunk >> 10, held >> 10, held / TRANSFERS >> 10, cap,
                    held / TRANSFERS * cap >> 20, pinnedBefore >> 10, (long) cap * chunk >> 20);
            assertThat(held).as("heap held by %d unfinished transfers", TRANSFERS).isLessThan(pinnedBefore / 4);

            // They still complete, byte for byte, once their second chunks come.
            List<ProducerRecord<String, byte[]>> seconds = new ArrayList<>();
            for (int i = 0; i < TRANSFERS; i++) {
                seconds.add(record(topic, i, ids.get(i), 1, halves.get(i)));
            }
            companion.produce(Serdes.String(), Serdes.ByteArray()).fromRecords(seconds).awaitCompletion();
        }
        Path outbox = config.consumer().outbox().orElseThrow();
        for (int i = 0; i < TRANSFERS; i++) {
            Path delivered = outbox.resolve(path(i));
            String expected = HexFormat.of().formatHex(sha256(halves.get(i)));
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));
            assertThat(TestFiles.sha256(delivered)).isEqualTo(expected);
        }
    }

    private boolean firstChunkStaged(String id) {
        return board.find(id).stream().anyMatch(t -> t.side() == Side.CONSUMER && t.chunksDone() >= 1);
    }

    private ProducerRecord<String, byte[]> record(String topic, int i, String id, int index, byte[][] halves)
            throws Exception {
        int chunk = halves[0].length;
        byte[] data = halves[index];
        byte[] fileSha = index == 1 ? sha256(halves) : null;
        Chunk c = new Chunk(id, 0, path(i), index, 2, (long) index * chunk, 2L * chunk, 0, 0644, data, fileSha);
        int partition = i % config.topics().partitions();
        return new ProducerRecord<>(topic, partition, id, data, WireFormat.headersOf(c));
    }

    private static String path(int i) {
        return "unfinished/f" + i + ".bin";
    }

    private static byte[] sha256(byte[][] halves) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(halves[0]);
        d.update(halves[1]);
        return d.digest();
    }

    private static long heapAfterGc() {
        Runtime r = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, r.totalMemory() - r.freeMemory());
        }
        return used;
    }
}
