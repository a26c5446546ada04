package dev.ferry.consumer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.zip.CRC32C;

import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;
import org.roaringbitmap.RoaringBitmap;

import dev.ferry.chunk.Chunk;

/**
 * The consumer's record of partial data, in {@code <state-dir>/assemblies/}: one small file per assembly saying which
 * chunks of its staging file are on disk. Written only after the staging file is fsynced, so a journaled chunk is never
 * a lie; after a restart, staged chunks are not written again. Losing the journal loses no data, only that shortcut:
 * the chunks are re-read from Kafka, which still has them because the offset was not committed past them.
 *
 * <pre>
 * int 'FRJ2' | UTF id | int attempt | UTF path | long size | int count | long chunk length | long mtime | int mode
 * | UTF source | byte hasSha [32 bytes sha] | int n | n bytes: durable chunks, a serialised RoaringBitmap
 * | int CRC32C of everything before
 * </pre>
 *
 * Entries of version 1 ({@code 'FRJ1'}: no chunk length, a {@link BitSet}) are still read.
 */
final class Journal {

    private static final Logger LOG = Logger.getLogger(Journal.class);
    private static final int MAGIC_V1 = 0x46524A31;
    private static final int MAGIC = 0x46524A32;

    record Entry(Chunk description, long chunkLength, TopicPartition source, byte[] sha256, RoaringBitmap durable) {
    }

    private final Path dir;

    Journal(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
    }

    /** Durably replaces the entry of {@code a}; the caller syncs the folder once per batch. */
    void write(Assembly a) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeUTF(a.transferId);
        out.writeInt(a.attempt);
        out.writeUTF(a.path);
        out.writeLong(a.size);
        out.writeInt(a.count);
        out.writeLong(a.chunkLength);
        out.writeLong(a.modifiedMillis);
        out.writeInt(a.mode);
        out.writeUTF(a.source.toString()); // TopicPartition.toString(): topic-partition
        out.writeBoolean(a.expectedSha256 != null);
        if (a.expectedSha256 != null) {
            out.write(a.expectedSha256);
        }
        a.durable.runOptimize();
        out.writeInt(a.durable.serializedSizeInBytes());
        a.durable.serialize(out);
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        Path file = fileOf(a.transferId, a.attempt);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes.toByteArray());
        Durable.syncFile(tmp);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    void delete(String transferId, int attempt) throws IOException {
        Files.deleteIfExists(fileOf(transferId, attempt));
    }

    void syncDirectory() throws IOException {
        Durable.syncDirectory(dir);
    }

    /** Every readable entry; unreadable ones are deleted (their chunks are simply re-read). */
    List<Entry> load() throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                if (!file.getFileName().toString().endsWith(".journal")) {
                    Files.delete(file);
                    continue;
                }
                try {
                    entries.add(read(file));
                } catch (IOException | RuntimeException e) {
                    LOG.warnf("Discarding unreadable journal entry %s: %s", file.getFileName(), e.getMessage());
                    Files.delete(file);
                }
            }
        }
        return entries;
    }

    private static Entry read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 8) {
            throw new IOException("truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
        if (stored != (int) crc.getValue()) {
            throw new IOException(
                    String.format("checksum mismatch: stored %08x, computed %08x", stored, (int) crc.getValue()));
        }
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        int magic = in.readInt();
        if (magic != MAGIC && magic != MAGIC_V1) {
            throw new IOException("not a journal entry");
        }
        String id = in.readUTF();
        int attempt = in.readInt();
        String path = in.readUTF();
        long size = in.readLong();
        int count = in.readInt();
        // Version 1 came before chunks had to be on a grid; a file of one chunk has no other length.
        long chunkLength = magic == MAGIC ? in.readLong() : count == 1 ? size : (size + count - 1) / count;
        long mtime = in.readLong();
        int mode = in.readInt();
        TopicPartition source = partitionOf(in.readUTF());
        byte[] sha = null;
        if (in.readBoolean()) {
            sha = in.readNBytes(32);
        }
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("chunk bitmap of " + n + " bytes does not fit the entry");
        }
        RoaringBitmap durable = new RoaringBitmap();
        if (magic == MAGIC) {
            durable.deserialize(in);
        } else {
            BitSet bits = BitSet.valueOf(in.readNBytes(n));
            bits.stream().forEach(durable::add);
        }
        Chunk description = new Chunk(id, attempt, path, 0, count, 0, size, mtime, mode, new byte[0], null);
        return new Entry(description, chunkLength, source, sha, durable);
    }

    /** Reads back what {@link TopicPartition#toString()} wrote: a topic name may contain dashes, a partition not. */
    static TopicPartition partitionOf(String written) throws IOException {
        int dash = written.lastIndexOf('-');
        try {
            return new TopicPartition(written.substring(0, dash), Integer.parseInt(written.substring(dash + 1)));
        } catch (RuntimeException e) {
            throw new IOException("not a topic-partition: " + written);
        }
    }

    private Path fileOf(String transferId, int attempt) {
        return dir.resolve(transferId + "-" + attempt + ".journal");
    }
}
