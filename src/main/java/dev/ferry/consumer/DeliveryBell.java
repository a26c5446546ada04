package dev.ferry.consumer;

import java.util.concurrent.TimeUnit;

/**
 * Wakes the delivery thread when a complete file starts to wait or a batch fills, so it sleeps until a batch is due
 * instead of looking for one every few milliseconds: an idle consumer spends no CPU on delivery (looking 500 times a
 * second cost about 2% of a core), and a full batch is delivered at once.
 */
final class DeliveryBell {

    private boolean rung;

    synchronized void ring() {
        rung = true;
        notifyAll();
    }

    /** Waits until rung or until {@code nanos} have passed; a ring that came before the wait counts. */
    synchronized void await(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (!rung) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        rung = false;
    }
}
