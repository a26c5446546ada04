package dev.ferry.stream.source;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bytedeco.ffmpeg.avutil.LogCallback;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.jboss.logging.Logger;

/**
 * FFmpeg's own words for what is wrong with a file. Its errors go to Ferry's log, and the last one on the thread that
 * opened or decoded a file (demuxing runs on the caller's thread) becomes the stream's reason: "moov atom not found" is
 * what a user can act on, "avformat_open_input() error -1094995529: Could not open input "/srv/...". (Has setFormat()
 * been called?)" is not, and names a server path.
 */
final class FfmpegMessages extends LogCallback {

    private static final Logger LOG = Logger.getLogger("dev.ferry.stream.ffmpeg");
    /** FFmpeg prefixes a line with its component: "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d0c8e0] moov atom not found". */
    private static final Pattern COMPONENT = Pattern.compile("^\\[[^\\]]*\\]\\s*");
    private static final Pattern ERROR_CODE = Pattern.compile("error (-\\d+)");
    private static final ThreadLocal<String> LAST_ERROR = new ThreadLocal<>();
    /** Held for the life of the process: FFmpeg keeps calling it. */
    private static FfmpegMessages installed;

    private FfmpegMessages() {
    }

    /** Replaces FFmpeg's default logging (standard error) with this one; once. */
    static synchronized void install() {
        if (installed == null) {
            installed = new FfmpegMessages();
            avutil.av_log_set_level(avutil.AV_LOG_ERROR);
            avutil.setLogCallback(installed);
        }
    }

    @Override
    public void call(int level, BytePointer message) {
        if (level > avutil.AV_LOG_ERROR || message == null) {
            return;
        }
        String text = COMPONENT.matcher(message.getString(StandardCharsets.UTF_8).strip()).replaceFirst("");
        if (!text.isEmpty()) {
            LAST_ERROR.set(text);
            LOG.warnf("FFmpeg: %s", text);
        }
    }

    /** Forgets what FFmpeg said on this thread, before a new file. */
    static void clear() {
        LAST_ERROR.remove();
    }

    /**
     * Why FFmpeg failed, in its words: the last error it logged on this thread, else its text for the error code in
     * JavaCV's message, else a plain sentence. Never JavaCV's wording, its calls or the file's path.
     */
    static String reason(Exception e) {
        String said = LAST_ERROR.get();
        LAST_ERROR.remove();
        if (said != null) {
            return said;
        }
        Matcher code = ERROR_CODE.matcher(String.valueOf(e.getMessage()));
        if (code.find()) {
            byte[] text = new byte[256];
            if (avutil.av_strerror(Integer.parseInt(code.group(1)), text, text.length) == 0) {
                int end = 0;
                while (end < text.length && text[end] != 0) {
                    end++;
                }
                return new String(text, 0, end, StandardCharsets.UTF_8);
            }
        }
        return "FFmpeg could not read it";
    }
}
