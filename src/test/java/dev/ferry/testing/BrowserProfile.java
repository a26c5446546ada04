package dev.ferry.testing;

import java.nio.file.Path;
import java.util.Map;

import io.quarkus.test.junit.QuarkusTestProfile;

/**
 * One Quarkus start for the tests that need a browser or streams (Quarkus groups test classes by profile): transfers
 * slow enough for a page to show them on their way (8 MiB/s: a 40 MiB file takes about 5 s), and a streams inbox.
 */
public class BrowserProfile implements QuarkusTestProfile {

    public static final Path STREAMS_INBOX = Path.of("target", "streams-test-" + ProcessHandle.current().pid(),
            "inbox");

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("ferry.rate-limit", "8M", "ferry.streams.inbox", STREAMS_INBOX.toString(),
                "ferry.streams.native-cache", Path.of("target", "javacpp-cache").toAbsolutePath().toString(),
                "ferry.streams.idle-timeout", "5s");
    }
}
