package dev.ferry.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;

/**
 * The people who may log in from a browser when there is no identity provider: a file (a mounted Secret) of lines
 * {@code name:bcrypt-hash:role,role}, as {@code htpasswd -nbB name password} writes the first two fields. Only bcrypt
 * hashes are accepted (cost 10 or more), so a leaked file does not give the passwords away cheaply; the roles are
 * {@value Roles#VIEWER} and {@value Roles#METRICS}. Checked whole: every bad line is named by its number, never by its
 * content (it holds a hash).
 */
final class UsersFile {

    /** A users file is small; anything larger is not one (and is not read whole). */
    static final long MAX_BYTES = 256 * 1024;
    static final int MIN_COST = 10;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");

    /** One person: the bcrypt hash of the password and the roles granted. */
    record User(String name, String hash, Set<String> roles) {

        /** Who this user is to Quarkus's security, after a login or for a session. */
        SecurityIdentity identity() {
            return QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal(name)).addRoles(roles).build();
        }
    }

    /** A users file that cannot be used, with every problem. */
    static final class InvalidUsersFileException extends IOException {
        InvalidUsersFileException(Path file, List<String> problems) {
            super(file + ": " + String.join("; ", problems));
        }
    }

    private UsersFile() {
    }

    static Map<String, User> read(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) {
            throw new InvalidUsersFileException(file, List.of("larger than " + MAX_BYTES + " bytes"));
        }
        return parse(file, Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    static Map<String, User> parse(Path file, List<String> lines) throws InvalidUsersFileException {
        Map<String, User> users = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String at = "line " + (i + 1);
            String[] fields = line.split(":", -1);
            if (fields.length != 3) {
                problems.add(at + " is not name:bcrypt-hash:roles");
                continue;
            }
            if (!NAME.matcher(fields[0]).matches()) {
                problems.add(at + ": the name is not 1 to 64 of A-Z, a-z, 0-9, '.', '_', '@', '-'");
                continue;
            }
            var bcrypt = BCRYPT.matcher(fields[1]);
            if (!bcrypt.matches()) {
                problems.add(at + " (" + fields[0] + "): the hash is not bcrypt ($2y$ from htpasswd -B, $2a$, $2b$)");
                continue;
            }
            if (Integer.parseInt(bcrypt.group(1)) < MIN_COST) {
                problems.add(at + " (" + fields[0] + "): bcrypt cost " + bcrypt.group(1) + " is below " + MIN_COST
                        + " (htpasswd -nbBC 12 name password)");
                continue;
            }
            Set<String> roles = new LinkedHashSet<>();
            for (String role : fields[2].split(",")) {
                String r = role.strip();
                if (!Roles.ALL.contains(r)) {
                    problems.add(at + " (" + fields[0] + "): role \"" + r + "\" is not one of " + Roles.ALL);
                } else {
                    roles.add(r);
                }
            }
            if (users.putIfAbsent(fields[0], new User(fields[0], fields[1], Set.copyOf(roles))) != null) {
                problems.add(at + ": " + fields[0] + " is listed twice");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidUsersFileException(file, problems);
        }
        if (users.isEmpty()) {
            throw new InvalidUsersFileException(file, List.of("no user in it"));
        }
        return Map.copyOf(users);
    }
}
