package dev.ferry.access;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.Set;

import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * The session encryption key when none is configured ({@code QUARKUS_HTTP_AUTH_SESSION_ENCRYPTION_KEY}): 32 random
 * bytes made once per process, known to nobody. Without it Quarkus makes one itself and prints it in a warning, and
 * anyone who reads the log could forge a session cookie. Either way logins end when the process restarts and each
 * replica has its own key (docs/access.md), which is why the manifests take the key from a Secret. The lowest ordinal:
 * any configured key wins.
 */
public final class SessionKeyDefault implements ConfigSource {

    static final String KEY = "quarkus.http.auth.session.encryption-key";
    private static final String VALUE = random();

    private static String random() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    @Override
    public Set<String> getPropertyNames() {
        return Set.of(KEY);
    }

    @Override
    public Map<String, String> getProperties() {
        return Map.of(KEY, VALUE);
    }

    @Override
    public String getValue(String propertyName) {
        return KEY.equals(propertyName) ? VALUE : null;
    }

    @Override
    public String getName() {
        return "ferry-session-key-default";
    }

    @Override
    public int getOrdinal() {
        return 1;
    }
}
