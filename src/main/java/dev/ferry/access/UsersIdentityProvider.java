package dev.ferry.access;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.UsernamePasswordAuthenticationRequest;
import io.smallrye.mutiny.Uni;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.FerryConfigCheck;
import dev.ferry.config.StartupOrder;

/**
 * Checks browser logins ({@code /j_security_check}) against {@code ferry.http.users-file}. The file is read at start-up
 * (a bad one stops start-up naming the setting) and again when it changes (a rotated Secret), keeping the last good one
 * if the new one is bad. A bcrypt check costs tens of milliseconds on purpose, so at most two run at once: a flood of
 * guesses gets refusals, not the CPU.
 */
@ApplicationScoped
public class UsersIdentityProvider implements IdentityProvider<UsernamePasswordAuthenticationRequest> {

    private static final Logger LOG = Logger.getLogger(UsersIdentityProvider.class);

    @Inject
    FerryConfig config;

    private final Semaphore checks = new Semaphore(2);
    private volatile Map<String, UsersFile.User> users = Map.of();
    private volatile FileTime readAt;

    void load(@Observes @Priority(StartupOrder.KEYS) StartupEvent event) {
        Path file = config.http().usersFile().orElse(null);
        if (file == null) {
            return;
        }
        try {
            users = UsersFile.read(file);
            Decoy.HASH.length(); // made now, so that the first unknown name costs what every later one does
            readAt = Files.getLastModifiedTime(file);
            LOG.infof("HTTP logins: %d users from %s", users.size(), file);
        } catch (IOException e) {
            throw new FerryConfigCheck.InvalidConfigException(List.of(FerryConfigCheck.key("ferry.http.users-file")
                    + " is " + file + ": " + e.getMessage() + "; allowed: lines name:bcrypt-hash:roles (htpasswd "
                    + "-nbBC 12 name password, then :viewer or :viewer,metrics)"));
        }
    }

    @Override
    public Class<UsernamePasswordAuthenticationRequest> getRequestType() {
        return UsernamePasswordAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(UsernamePasswordAuthenticationRequest request,
            AuthenticationRequestContext context) {
        return context.runBlocking(() -> check(request.getUsername(), request.getPassword().getPassword()));
    }

    private SecurityIdentity check(String name, char[] password) {
        if (!checks.tryAcquire()) {
            throw new AuthenticationFailedException("too many logins at once");
        }
        try {
            UsersFile.User user = current().get(name);
            boolean matches = OpenBSDBCrypt.checkPassword(user == null ? Decoy.HASH : user.hash(), password);
            if (user == null || !matches) {
                LOG.infof("HTTP login refused for %s", name.length() > 64 ? name.substring(0, 64) + "..." : name);
                throw new AuthenticationFailedException("wrong name or password");
            }
            return user.identity();
        } finally {
            checks.release();
        }
    }

    /** The users, read again if the file changed since. */
    Map<String, UsersFile.User> current() {
        Path file = config.http().usersFile().orElse(null);
        if (file == null) {
            return Map.of();
        }
        try {
            FileTime now = Files.getLastModifiedTime(file);
            if (!now.equals(readAt)) {
                users = UsersFile.read(file);
                readAt = now;
                LOG.infof("HTTP logins: %s changed, %d users now", file, users.size());
            }
        } catch (IOException e) {
            LOG.errorf("HTTP logins: %s cannot be used (%s); the users read before stay", file, e.getMessage());
        }
        return users;
    }

    private static byte[] salt() {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return salt;
    }

    /**
     * Checked for unknown names, so that a wrong name takes as long as a wrong password. Made on first use (a bcrypt
     * hash costs a tenth of a second at start-up): at start when there is a users file, else at the first login try,
     * when there is nobody whose existence it could hide.
     */
    private static final class Decoy {
        static final String HASH = OpenBSDBCrypt.generate("2y", "decoy".toCharArray(), salt(), UsersFile.MIN_COST);
    }
}
