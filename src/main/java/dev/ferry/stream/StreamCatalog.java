package dev.ferry.stream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;

import dev.ferry.DaemonThreads;
import dev.ferry.config.FerryConfig;
import dev.ferry.kafka.KafkaClients;
import dev.ferry.trust.Authenticity;
import dev.ferry.trust.KeyRing;
import dev.ferry.trust.RecordSignatures;

/**
 * Every stream known, from the announcements topic (compacted: the latest announcement of each name), read from its
 * start and followed while the process runs; a producer adds its own streams at once as well. Both roles keep one, so
 * both answer {@code /api/streams}.
 */
@ApplicationScoped
public class StreamCatalog {

    /** The domain of an announcement's signature ({@link RecordSignatures}). */
    public static final String SIGNATURE_DOMAIN = "ferry-stream-v1";

    private static final Logger LOG = Logger.getLogger(StreamCatalog.class);

    @Inject
    FerryConfig config;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;

    @Inject
    KeyRing keys;

    private final Map<String, StreamInfo> streams = new ConcurrentHashMap<>();
    private volatile KafkaConsumer<String, byte[]> reader;
    private volatile boolean stopped;
    /** Counted down at shutdown: ends any pause at once. */
    private final CountDownLatch pause = new CountDownLatch(1);
    private Thread thread;
    private long refused;

    void start(@Observes StartupEvent event) {
        if (config.role().isEmpty()) {
            return;
        }
        thread = DaemonThreads.named("ferry-stream-catalog").newThread(this::follow);
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        stopped = true;
        if (thread != null) {
            // Wherever it is (a poll, a metadata wait, the pause before a retry), it stops now: a shutdown must not
            // wait for a retry timer. (An interrupt would make the consumer's close fail noisily.)
            pause.countDown();
            KafkaConsumer<String, byte[]> r = reader;
            if (r != null) {
                r.wakeup();
            }
            thread.join(2_000);
        }
    }

    /** The newest word on a stream wins, whether it came from Kafka or from this process's producer. */
    public void update(StreamInfo info) {
        streams.merge(info.name(), info, (old, now) -> now.updatedAt() >= old.updatedAt() ? now : old);
    }

    public Optional<StreamInfo> find(String name) {
        return Optional.ofNullable(streams.get(name));
    }

    /** Newest first. */
    public List<StreamInfo> all() {
        Collection<StreamInfo> all = streams.values();
        return all.stream().sorted(Comparator.comparingLong(StreamInfo::startedAt).reversed()).toList();
    }

    private void follow() {
        String topic = FrameFormat.announcementsTopic(config.streams().topic());
        TopicPartition partition = new TopicPartition(topic, 0);
        while (!stopped) {
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
                    KafkaClients.reader(kafka, "ferry-stream-catalog"), new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                reader = consumer;
                // Asked again on the same client until a stream is announced: a new client every few seconds would
                // cost a connection, its metrics and MBeans each time, for as long as no stream exists.
                while (!stopped && consumer.partitionsFor(topic, Duration.ofSeconds(10)).isEmpty()) {
                    pause.await(5, TimeUnit.SECONDS); // no stream was announced here yet
                }
                if (stopped) {
                    return;
                }
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                while (!stopped) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
                        read(r);
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (stopped) {
                    return;
                }
                LOG.warnf("Reading stream announcements from %s failed (retrying in 5 s): %s", topic, e.toString());
                try {
                    pause.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } finally {
                reader = null;
            }
        }
    }

    private void read(ConsumerRecord<String, byte[]> r) {
        Authenticity authenticity = RecordSignatures.check(keys, SIGNATURE_DOMAIN, r.topic(), r.key(), r.value(),
                r.headers());
        if (authenticity.refused()) {
            // Viewers see only streams a trusted producer announced; a forged one is not listed, nor is its removal.
            if (refused++ % 100 == 0) {
                LOG.warnf("Ignoring a stream announcement at offset %d (%d so far): %s", r.offset(), refused,
                        authenticity.reason(RecordSignatures.signerOf(r.headers())));
            }
            return;
        }
        if (r.value() == null) {
            streams.remove(r.key()); // a tombstone: the stream was removed by hand
            return;
        }
        try {
            update(StreamInfo.fromJson(new String(r.value(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            LOG.warnf("Ignoring an unreadable stream announcement at offset %d: %s", r.offset(), e.getMessage());
        }
    }
}
