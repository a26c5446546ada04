package dev.ferry.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class DeliveryBellTest {

    private final DeliveryBell bell = new DeliveryBell();

    @Test
    void aRingBeforeTheWaitIsNotLost() throws Exception {
        bell.ring();
        long started = System.nanoTime();
        bell.await(TimeUnit.SECONDS.toNanos(30));
        assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(10));
    }

    @Test
    void aRingWakesTheWaitingThreadAndIsUsedUp() throws Exception {
        CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
            try {
                bell.await(TimeUnit.SECONDS.toNanos(60));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        bell.ring();
        waiting.get(10, TimeUnit.SECONDS);

        long started = System.nanoTime();
        bell.await(TimeUnit.MILLISECONDS.toNanos(50));
        assertThat(System.nanoTime() - started).as("no ring left: waited the time out")
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
    }
}
