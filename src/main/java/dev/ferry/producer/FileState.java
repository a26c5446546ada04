package dev.ferry.producer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * What the producer knows of one inbox file at one moment. Two equal states mean "nothing visible changed": same size,
 * modification time, change time and file key (inode), so a rewrite, a truncation or a replacement by rename all make a
 * different state.
 *
 * @param relativePath
 *            path below the inbox, {@code /}-separated, as it goes on the wire
 */
record FileState(String relativePath, Path file, long size, long modifiedMillis, long changedNanos, Object fileKey,
        int mode) {

    /** Reads the state without following symlinks; {@code null} if the file vanished or is not a regular file. */
    static FileState read(Path inbox, Path file) {
        try {
            Map<String, Object> attrs = readAttributes(file);
            if (!Boolean.TRUE.equals(attrs.get("isRegularFile"))) {
                return null;
            }
            String relative = inbox.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
            return new FileState(relative, file, (Long) attrs.get("size"),
                    ((FileTime) attrs.get("lastModifiedTime")).toMillis(), changeTime(attrs), attrs.get("fileKey"),
                    attrs.get("mode") instanceof Integer m ? m & 07777 : -1);
        } catch (IOException e) {
            return null;
        }
    }

    /** True if the file on disk no longer matches this state (or is gone). */
    boolean changedOnDisk(Path inbox) {
        FileState now = read(inbox, file);
        return now == null || !now.equals(this);
    }

    private static Map<String, Object> readAttributes(Path file) throws IOException {
        try {
            // unix:ctime catches a rewrite that restores size and mtime (e.g. touch -r); absent on non-POSIX systems.
            return Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,fileKey,isRegularFile,mode",
                    LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return Files.readAttributes(file, "basic:*", LinkOption.NOFOLLOW_LINKS);
        }
    }

    private static long changeTime(Map<String, Object> attrs) {
        Object ctime = attrs.get("ctime");
        return ctime instanceof FileTime t ? t.to(TimeUnit.NANOSECONDS) : 0L;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FileState s && size == s.size && modifiedMillis == s.modifiedMillis
                && changedNanos == s.changedNanos && relativePath.equals(s.relativePath)
                && Objects.equals(fileKey, s.fileKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(relativePath, size, modifiedMillis);
    }
}
