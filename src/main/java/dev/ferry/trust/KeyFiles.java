package dev.ferry.trust;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where key settings point: a file, or a folder of them as a mounted Secret has it. In a folder every regular file is a
 * key, except names starting with a dot, which are Kubernetes' own ({@code ..data} and the like).
 */
final class KeyFiles {

    private KeyFiles() {
    }

    static List<Path> in(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        List<Path> keys = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(path)) {
            for (Path file : files) {
                if (!file.getFileName().toString().startsWith(".") && Files.isRegularFile(file)) {
                    keys.add(file);
                }
            }
        }
        return keys;
    }
}
