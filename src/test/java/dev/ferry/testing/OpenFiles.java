package dev.ferry.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Descriptors a process holds open, read from {@code /proc}: how tests prove that open files stay bounded. */
public final class OpenFiles {

    private OpenFiles() {
    }

    /** Regular files below {@code dir} this JVM holds open (folders held open on purpose are not counted). */
    public static long under(Path dir) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    return target.startsWith(dir) && !Files.isDirectory(target);
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        }
    }

    /** Every descriptor process {@code pid} holds open. */
    public static long of(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        }
    }
}
