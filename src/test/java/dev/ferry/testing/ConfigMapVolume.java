package dev.ferry.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A folder laid out and updated the way the kubelet updates a ConfigMap volume: each version in its own hidden folder,
 * a {@code ..data} symlink to the current one swapped atomically, and the file itself a symlink through {@code ..data}.
 * The file's own inode never changes, which is why Ferry watches the folder.
 */
public final class ConfigMapVolume {

    private final Path dir;
    private final String name;
    private int version;

    public ConfigMapVolume(Path dir, String name, String content) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.name = name;
        write(content);
        Files.createSymbolicLink(dir.resolve(name), Path.of("..data").resolve(name));
    }

    public Path file() {
        return dir.resolve(name);
    }

    /** Publishes {@code content} as the next version, atomically. */
    public void update(String content) throws IOException {
        write(content);
    }

    private void write(String content) throws IOException {
        version++;
        Path versionDir = Files.createDirectories(dir.resolve("..v" + version));
        Files.writeString(versionDir.resolve(name), content);
        Path link = dir.resolve("..data_tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, Path.of(versionDir.getFileName().toString()));
        Files.move(link, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
