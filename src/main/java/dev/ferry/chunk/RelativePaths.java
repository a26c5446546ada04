package dev.ferry.chunk;

import java.nio.charset.StandardCharsets;

/**
 * The rules for a file path on the wire. Paths come from a shared topic and are untrusted: the consumer joins them to
 * its outbox only after they pass here, so nothing can name a file outside it.
 * <p>
 * A valid path is relative, uses {@code /} as separator, has no empty, {@code .} or {@code ..} segment, no backslash (a
 * separator on other systems), no NUL or other control character, and is at most {@link #MAX_BYTES} bytes in UTF-8.
 */
public final class RelativePaths {

    /** Linux's PATH_MAX; also bounds the header overhead of a record. */
    public static final int MAX_BYTES = 4096;

    private RelativePaths() {
    }

    /** Returns {@code null} if the path is valid, otherwise why not. */
    public static String problemWith(String path) {
        if (path == null || path.isEmpty()) {
            return "path is empty";
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "path is longer than " + MAX_BYTES + " bytes";
        }
        if (path.startsWith("/")) {
            return "path is absolute: " + printable(path);
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == 0) {
                return "path contains a NUL character: " + printable(path);
            }
            if (c < 0x20 || c == 0x7f) {
                return "path contains a control character: " + printable(path);
            }
            if (c == '\\') {
                return "path contains a backslash: " + printable(path);
            }
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                return "path has an empty segment: " + printable(path);
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "path has a '" + segment + "' segment: " + printable(path);
            }
        }
        return null;
    }

    /** Makes a hostile path safe to put in a log line. */
    static String printable(String path) {
        StringBuilder out = new StringBuilder(Math.min(path.length(), 200) + 2).append('"');
        for (int i = 0; i < path.length() && i < 200; i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (path.length() > 200) {
            out.append("...");
        }
        return out.append('"').toString();
    }
}
