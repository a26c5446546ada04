package dev.ferry.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Test data made at run time (nothing large is committed) and hashes to compare it by. */
public final class TestFiles {

    private TestFiles() {
    }

    /** Writes {@code size} pseudo-random bytes from {@code seed}, in constant memory. */
    public static Path random(Path file, long size, long seed) throws IOException {
        Files.createDirectories(file.getParent());
        SplittableRandom random = new SplittableRandom(seed);
        byte[] buffer = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            while (left > 0) {
                for (int i = 0; i < buffer.length; i += 8) {
                    long v = random.nextLong();
                    for (int b = 0; b < 8 && i + b < buffer.length; b++) {
                        buffer[i + b] = (byte) (v >>> (8 * b));
                    }
                }
                int n = (int) Math.min(buffer.length, left);
                out.write(buffer, 0, n);
                left -= n;
            }
        }
        return file;
    }

    /** Writes to a hidden name and renames, so a settle-based watcher never sees a half-written file. */
    public static Path randomAtomically(Path file, long size, long seed) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".writing");
        random(tmp, size, seed);
        return Files.move(tmp, file);
    }

    public static String sha256(Path file) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
