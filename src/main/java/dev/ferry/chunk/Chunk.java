package dev.ferry.chunk;

import java.util.Arrays;
import java.util.Objects;

/**
 * A contiguous piece of a file. Every chunk carries the whole transfer description (path, size, count), so the consumer
 * can start assembling from any chunk and never needs a separate header record that could be lost.
 *
 * @param index
 *            position of this chunk, 0-based
 * @param count
 *            number of chunks of the transfer (1 for an empty file)
 * @param offset
 *            byte offset of {@code data} in the file
 * @param size
 *            total size of the file in bytes
 * @param modifiedMillis
 *            the source file's modification time, restored on delivery
 * @param data
 *            the bytes; empty only for the single chunk of an empty file
 * @param sha256
 *            SHA-256 of the whole file, present on the last chunk only
 */
public record Chunk(String transferId, int attempt, String path, int index, int count, long offset, long size,
        long modifiedMillis, int mode, byte[] data, byte[] sha256) implements FerryRecord {

    public Chunk {
        Objects.requireNonNull(transferId, "transferId");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(data, "data");
    }

    public boolean isLast() {
        return index == count - 1;
    }

    /** The chunk count of a file of {@code size} bytes cut into pieces of {@code chunkSize}; an empty file has one. */
    public static int countFor(long size, int chunkSize) {
        if (size == 0) {
            return 1;
        }
        long count = (size + chunkSize - 1) / chunkSize;
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "A file of " + size + " bytes needs more than 2^31 chunks of " + chunkSize);
        }
        return (int) count;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Chunk c && attempt == c.attempt && index == c.index && count == c.count
                && offset == c.offset && size == c.size && modifiedMillis == c.modifiedMillis
                && transferId.equals(c.transferId) && path.equals(c.path) && Arrays.equals(data, c.data)
                && Arrays.equals(sha256, c.sha256);
    }

    @Override
    public int hashCode() {
        return Objects.hash(transferId, attempt, index);
    }

    @Override
    public String toString() {
        return "Chunk[" + transferId + "#" + attempt + " " + (index + 1) + "/" + count + " @" + offset + "+"
                + data.length + " of " + path + "]";
    }
}
