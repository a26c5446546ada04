package dev.ferry.producer;

/**
 * Caps the producer's bytes per second over all files ({@code ferry.rate-limit}), so Ferry can share a link. A simple
 * token bucket holding at most one second of budget.
 */
final class RateLimiter {

    private final long bytesPerSecond;
    private double available;
    private long last = System.nanoTime();

    RateLimiter(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        this.available = bytesPerSecond;
    }

    synchronized void acquire(long bytes) throws InterruptedException {
        refill();
        available -= bytes;
        while (available < 0) {
            long waitNanos = (long) (-available * 1e9 / bytesPerSecond);
            long millis = Math.max(1, waitNanos / 1_000_000);
            wait(millis);
            refill();
        }
    }

    private void refill() {
        long now = System.nanoTime();
        available = Math.min(bytesPerSecond, available + (now - last) * bytesPerSecond / 1e9);
        last = now;
    }
}
