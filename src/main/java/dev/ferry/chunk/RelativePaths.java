package dev.ferry.chunk;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The one rule for a file path on the wire, applied by the producer before it sends a file and by the consumer before
 * it touches its disk. Paths come from a shared topic and are untrusted: the consumer joins them to its outbox only
 * after they pass here, so nothing can name a file outside it, and the producer refuses what the consumer would refuse,
 * so a file is never "sent" that can never arrive.
 * <p>
 * A valid path:
 * <ul>
 * <li>is valid UTF-8 (no replacement character U+FFFD, which is what an undecodable name becomes), relative, and uses
 * {@code /} as separator;</li>
 * <li>has no empty, {@code .} or {@code ..} segment, and no segment longer than {@link #MAX_SEGMENT_BYTES} bytes (the
 * longest file name Linux and most file systems take);</li>
 * <li>has no backslash (a separator elsewhere), no control character (C0, DEL, C1 U+0080-U+009F) and no bidirectional
 * control (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), which would make {@code invoice<U+202E>fdp.exe} read
 * as {@code invoiceexe.pdf};</li>
 * <li>is at most {@link #MAX_BYTES} bytes in UTF-8.</li>
 * </ul>
 * Whether the path still fits once joined to a particular outbox is the consumer's own check
 * ({@code consumer/OutboxPaths}).
 */
public final class RelativePaths {

    /** Linux's PATH_MAX; also bounds the header overhead of a record. */
    public static final int MAX_BYTES = 4096;

    /** Linux's NAME_MAX: the longest name of one file or folder. */
    public static final int MAX_SEGMENT_BYTES = 255;

    private RelativePaths() {
    }

    /** Returns {@code null} if the path is valid, otherwise why not. */
    public static String problemWith(String path) {
        if (path == null || path.isEmpty()) {
            return "path is empty";
        }
        if (utf8Length(path) > MAX_BYTES) {
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
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
                return "path contains a control character: " + printable(path);
            }
            if (isBidiControl(c)) {
                return "path contains a bidirectional control character: " + printable(path);
            }
            if (c == '\\') {
                return "path contains a backslash: " + printable(path);
            }
            if (c == '\uFFFD') {
                return "path is not valid UTF-8 (it contains U+FFFD): " + printable(path);
            }
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= path.length()
                        || !Character.isLowSurrogate(path.charAt(i + 1))) {
                    return "path is not valid UTF-8 (an unpaired surrogate): " + printable(path);
                }
                i++;
            }
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                return "path has an empty segment: " + printable(path);
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "path has a '" + segment + "' segment: " + printable(path);
            }
            if (utf8Length(segment) > MAX_SEGMENT_BYTES) {
                return "path has a segment of " + utf8Length(segment) + " bytes, longer than " + MAX_SEGMENT_BYTES
                        + ": " + printable(path);
            }
        }
        return null;
    }

    /**
     * Decodes a path as it comes off the wire: strictly, so bytes that are not UTF-8 are refused rather than replaced.
     *
     * @throws InvalidRecordException
     *             if the bytes are not UTF-8 or the path breaks the rule
     */
    public static String decode(byte[] bytes, String what) throws InvalidRecordException {
        if (bytes.length > MAX_BYTES) {
            throw new InvalidRecordException(what + " is longer than " + MAX_BYTES + " bytes");
        }
        String path;
        try {
            path = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidRecordException(what + " is not valid UTF-8");
        }
        String problem = problemWith(path);
        if (problem != null) {
            throw new InvalidRecordException("unsafe " + what + ": " + problem);
        }
        return path;
    }

    /** U+061C, U+200E/F, U+202A-E, U+2066-9: they reorder how a name is displayed. */
    static boolean isBidiControl(char c) {
        return c == '\u061C' || c == '\u200E' || c == '\u200F' || (c >= '\u202A' && c <= '\u202E')
                || (c >= '\u2066' && c <= '\u2069');
    }

    public static int utf8Length(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /**
     * The longest prefix of {@code s} that is at most {@code maxBytes} in UTF-8 and does not split a character; for
     * names that must fit {@link #MAX_SEGMENT_BYTES} once something is added to them.
     */
    public static String truncateUtf8(String s, int maxBytes) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            int cp = s.codePointAt(i);
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + n > maxBytes) {
                return s.substring(0, i);
            }
            bytes += n;
            i += Character.charCount(cp) - 1;
        }
        return s;
    }

    /** Makes a hostile path safe to put in a log line: controls and bidi controls are shown as escapes. */
    public static String printable(String path) {
        StringBuilder out = new StringBuilder(Math.min(path.length(), 200) + 2).append('"');
        for (int i = 0; i < path.length() && i < 200; i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else if ((c >= 0x80 && c <= 0x9f) || isBidiControl(c) || Character.isSurrogate(c) || c == '\uFFFD') {
                out.append(String.format("\\u%04X", (int) c));
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
