package dev.ferry.producer;

import java.util.concurrent.ArrayBlockingQueue;

/**
 * Reuses full-size chunk buffers. A chunk is read into a buffer, handed to the Kafka producer (which copies it into its
 * own batch buffer when the record is appended) and returned here once the broker's answer arrives. Without reuse,
 * every chunk is a fresh array of chunk size: at hundreds of MB/s that garbage alone keeps the collector busy, and with
 * G1 arrays of half a region or more are "humongous" and trigger a marking cycle each.
 */
final class ChunkBuffers {

    private final int chunkSize;
    private final ArrayBlockingQueue<byte[]> free;

    ChunkBuffers(int chunkSize, int capacity) {
        this.chunkSize = chunkSize;
        this.free = new ArrayBlockingQueue<>(capacity);
    }

    /** A buffer of exactly {@code length} bytes; pooled only at full chunk size (a record's value is the array). */
    byte[] take(int length) {
        if (length == chunkSize) {
            byte[] pooled = free.poll();
            if (pooled != null) {
                return pooled;
            }
        }
        return new byte[length];
    }

    /** Gives a buffer back; call only once nothing reads it any more. */
    void release(byte[] buffer) {
        if (buffer.length == chunkSize) {
            free.offer(buffer);
        }
    }
}
