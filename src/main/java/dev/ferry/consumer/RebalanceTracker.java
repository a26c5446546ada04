package dev.ferry.consumer;

import java.util.Collection;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.kafka.KafkaConsumerRebalanceListener;

/** Tells the {@link Assembler} which partitions are this instance's, so it never finishes a file it lost. */
@ApplicationScoped
@Identifier(RebalanceTracker.NAME)
public class RebalanceTracker implements KafkaConsumerRebalanceListener {

    public static final String NAME = "ferry-rebalance";
    private static final Logger LOG = Logger.getLogger(RebalanceTracker.class);

    @Inject
    ConsumerService consumer;

    @Override
    public void onPartitionsAssigned(Consumer<?, ?> kafka, Collection<TopicPartition> partitions) {
        LOG.infof("Partitions assigned: %s", partitions);
        consumer.assign(partitions);
    }

    @Override
    public void onPartitionsRevoked(Consumer<?, ?> kafka, Collection<TopicPartition> partitions) {
        LOG.infof("Partitions revoked: %s", partitions);
        partitions.forEach(UnroutedRecords::forget);
        consumer.revoke(partitions);
    }
}
