package dev.ferry.producer;

import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides which inbox entries are candidates. Exclude globs apply to every file and folder name (so {@code .*} hides
 * both {@code .x} and everything under {@code .cache/}); include globs apply to the relative path.
 */
final class InboxFilter {

    private final List<PathMatcher> include = new ArrayList<>();
    private final List<PathMatcher> exclude = new ArrayList<>();
    private final String markerSuffix;

    InboxFilter(List<String> includes, List<String> excludes, String markerSuffix) {
        FileSystem fs = FileSystems.getDefault();
        includes.forEach(g -> include.add(fs.getPathMatcher("glob:" + g)));
        excludes.forEach(g -> exclude.add(fs.getPathMatcher("glob:" + g)));
        this.markerSuffix = markerSuffix;
    }

    boolean excludesName(Path name) {
        if (markerSuffix != null && name.toString().endsWith(markerSuffix)) {
            return true;
        }
        for (PathMatcher m : exclude) {
            if (m.matches(name)) {
                return true;
            }
        }
        return false;
    }

    boolean includes(Path relative) {
        for (PathMatcher m : include) {
            if (m.matches(relative)) {
                return true;
            }
        }
        return false;
    }
}
