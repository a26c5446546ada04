package dev.ferry.faults;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A small RAM file system mounted over a folder, to fill a consumer's disk for real. Needs root with mount rights. */
final class Tmpfs {

    private Tmpfs() {
    }

    /** Mounts a tmpfs of {@code bytes} on {@code dir}; false if this machine does not allow it. */
    static boolean mount(Path dir, long bytes) {
        return run("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", dir.toString());
    }

    static void unmount(Path dir) {
        run("umount", "-l", dir.toString());
    }

    /** Writes {@code bytes} of zeros, which a tmpfs stores for real. */
    static void fill(Path file, long bytes) throws IOException {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= block.length) {
                out.write(block, 0, (int) Math.min(block.length, left));
            }
        }
    }

    private static boolean run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
