package dev.ferry.health;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Whether the folders Ferry works in can be used: inboxes readable, outboxes and the state dir writable, and enough
 * free space where Ferry writes. Pure, so the free-space source can be replaced in tests.
 */
final class FolderCheck {

    /** A folder and what Ferry needs of it. */
    record Folder(String what, Path path, boolean writes) {
    }

    private FolderCheck() {
    }

    static List<String> problems(List<Folder> folders, long minFreeBytes, ToLongFunction<Path> usableBytes) {
        List<String> problems = new ArrayList<>();
        for (Folder f : folders) {
            if (!Files.isDirectory(f.path())) {
                problems.add(f.what() + " " + f.path() + " is not a folder");
                continue;
            }
            if (!Files.isReadable(f.path())) {
                problems.add(f.what() + " " + f.path() + " is not readable");
            }
            if (f.writes()) {
                if (!Files.isWritable(f.path())) {
                    problems.add(f.what() + " " + f.path() + " is not writable");
                }
                long free = usableBytes.applyAsLong(f.path());
                if (free >= 0 && free < minFreeBytes) {
                    problems.add(f.what() + " " + f.path() + " has " + mib(free) + " free, below ferry.min-free-disk ("
                            + mib(minFreeBytes) + ")");
                }
            }
        }
        return problems;
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
