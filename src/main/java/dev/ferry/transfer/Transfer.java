package dev.ferry.transfer;

import java.time.Duration;
import java.time.Instant;

/**
 * One transfer as one side saw it: a snapshot, immutable, as the API returns it and the history keeps it.
 *
 * @param side
 *            {@code producer} or {@code consumer}
 * @param rate
 *            bytes per second over the transfer so far (or its whole duration once finished)
 */
public record Transfer(String id, Side side, String route, String path, long size, long bytesDone, int chunksDone,
        int chunksTotal, TransferState state, Instant startedAt, Instant finishedAt, Long rate, String sha256,
        Integer partition, String error) {

    static Transfer start(String id, Side side, String route, String path, long size, int chunksTotal,
            Integer partition, TransferState state) {
        return new Transfer(id, side, route, path, size, 0, 0, chunksTotal, state, Instant.now(), null, null, null,
                partition, null);
    }

    Transfer progress(int chunksDone, long bytesDone) {
        return new Transfer(id, side, route, path, size, bytesDone, chunksDone, chunksTotal, state, startedAt, null,
                rateAt(bytesDone, Instant.now()), sha256, partition, error);
    }

    Transfer state(TransferState next) {
        return new Transfer(id, side, route, path, size, bytesDone, chunksDone, chunksTotal, next, startedAt,
                finishedAt, rate, sha256, partition, error);
    }

    Transfer waiting(String why) {
        return new Transfer(id, side, route, path, size, bytesDone, chunksDone, chunksTotal, TransferState.WAITING,
                startedAt, null, rate, sha256, partition, why);
    }

    Transfer finish(TransferState end, String sha, String why) {
        Instant now = Instant.now();
        boolean whole = end == TransferState.DELIVERED;
        long done = whole ? size : bytesDone;
        return new Transfer(id, side, route, path, size, done, whole ? chunksTotal : chunksDone, chunksTotal, end,
                startedAt, now, rateAt(done, now), sha != null ? sha : sha256, partition, why);
    }

    Transfer withSha(String sha) {
        return new Transfer(id, side, route, path, size, bytesDone, chunksDone, chunksTotal, state, startedAt,
                finishedAt, rate, sha, partition, error);
    }

    private Long rateAt(long bytes, Instant now) {
        long millis = Math.max(1, Duration.between(startedAt, now).toMillis());
        return bytes * 1000 / millis;
    }
}
