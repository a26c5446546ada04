package dev.ferry.producer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Which files some process on this host (in this pid namespace) holds open for writing, read from {@code /proc}: a file
 * a writer still holds open is not finished, however long it has been quiet, so a writer that pauses longer than the
 * settle time is not cut short. Writers on other hosts (a network file system) or in other pid namespaces are invisible
 * here; for them the settle time and the {@code .done} marker or {@code .part} rename remain the rule.
 * <p>
 * A process whose {@code /proc} entries this process may not read is skipped; run the producer as the writers' user (or
 * with {@code shareProcessNamespace} in a pod) for the check to see them.
 */
final class OpenWriters {

    /** O_ACCMODE bits of the {@code flags} line in {@code /proc/PID/fdinfo/FD}: 1 write only, 2 read-write. */
    private static final int O_ACCMODE = 3;

    private static final Path PROC = Path.of("/proc");

    private OpenWriters() {
    }

    static boolean available() {
        return Files.isDirectory(PROC.resolve("self/fdinfo"));
    }

    /** File keys (device and inode) of every file open for writing now; empty where /proc is not available. */
    static Set<Object> fileKeys() {
        Set<Object> keys = new HashSet<>();
        if (!available()) {
            return keys;
        }
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, OpenWriters::isPid)) {
            for (Path process : processes) {
                collect(process, keys);
            }
        } catch (IOException e) {
            // /proc unreadable as a whole: nothing known, the settle time decides alone.
        }
        return keys;
    }

    private static void collect(Path process, Set<Object> keys) {
        try (DirectoryStream<Path> infos = Files.newDirectoryStream(process.resolve("fdinfo"))) {
            for (Path info : infos) {
                if (writable(info)) {
                    try {
                        Object key = Files.getAttribute(process.resolve("fd").resolve(info.getFileName()),
                                "unix:fileKey");
                        if (key != null) {
                            keys.add(key);
                        }
                    } catch (IOException | RuntimeException e) {
                        // closed meanwhile, or not ours to see
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process ended, or its fds are not ours to see
        }
    }

    private static boolean writable(Path fdinfo) {
        try {
            for (String line : new String(Files.readAllBytes(fdinfo), StandardCharsets.US_ASCII).split("\n")) {
                if (line.startsWith("flags:")) {
                    int flags = Integer.parseInt(line.substring(6).trim(), 8);
                    return (flags & O_ACCMODE) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone or unreadable
        }
        return false;
    }

    private static boolean isPid(Path p) {
        String name = p.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }
}
