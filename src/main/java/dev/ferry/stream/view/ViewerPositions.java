package dev.ferry.stream.view;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Where each viewer left off in each stream, so a reload resumes: kept here, in a bounded table, not as a Kafka
 * consumer group per viewer (which anyone could multiply with {@code ?viewer=} values, and nothing would clean up). A
 * viewer is known by its owner (the logged-in user, or "anonymous") and its id, so nobody moves another user's
 * position. The least recently used entries go first once {@code capacity} is reached, and an entry unused for
 * {@code ttl} is gone. Positions live as long as this process: after a restart a viewer starts again from the first
 * frame. Kept apart from the Kafka reading, so that viewers can later share one consumer per stream.
 */
final class ViewerPositions {

    record Key(String owner, String viewer, String stream) {
    }

    private record Position(long offset, long usedAtNanos) {
    }

    private final int capacity;
    private final long ttlNanos;
    private final Map<Key, Position> positions;

    ViewerPositions(int capacity, Duration ttl) {
        this.capacity = capacity;
        this.ttlNanos = ttl.toNanos();
        this.positions = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Position> eldest) {
                return size() > ViewerPositions.this.capacity;
            }
        };
    }

    synchronized OptionalLong get(Key key) {
        Position p = positions.get(key);
        if (p == null) {
            return OptionalLong.empty();
        }
        if (System.nanoTime() - p.usedAtNanos > ttlNanos) {
            positions.remove(key);
            return OptionalLong.empty();
        }
        return OptionalLong.of(p.offset);
    }

    synchronized void put(Key key, long offset) {
        positions.put(key, new Position(offset, System.nanoTime()));
    }

    synchronized int size() {
        return positions.size();
    }
}
