package dev.ferry.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.vertx.core.http.HttpMethod;

class UsersFileTest {

    static final String HASH = LockedAccessTest.bcrypt("secret");
    static final Path FILE = Path.of("/etc/ferry/users/users.txt");

    @Test
    void usersWithBcryptHashesAndKnownRolesAreRead() throws Exception {
        Map<String, UsersFile.User> users = UsersFile.parse(FILE,
                List.of("# comment", "", "alice:" + HASH + ":viewer", "prom:" + HASH + ":metrics, viewer"));
        assertThat(users.get("alice").roles()).containsExactly("viewer");
        assertThat(users.get("prom").roles()).containsExactlyInAnyOrder("viewer", "metrics");
    }

    @Test
    void everyBadLineIsNamedByNumberNeverByItsHash() {
        String weak = HASH.replace("$10$", "$04$");
        assertThatThrownBy(() -> UsersFile.parse(FILE,
                List.of("alice:{MD5}5f4dcc3b5aa765d61d8327deb882cf99:viewer", "bob:" + weak + ":viewer",
                        "carol:" + HASH + ":admin", "bad name:" + HASH + ":viewer", "dave", "eve:" + HASH + ":viewer",
                        "eve:" + HASH + ":viewer"))).isInstanceOfSatisfying(
                                UsersFile.InvalidUsersFileException.class,
                                e -> assertThat(e.getMessage()).contains("line 1 (alice): the hash is not bcrypt")
                                        .contains("line 2 (bob): bcrypt cost 04 is below 10")
                                        .contains("line 3 (carol): role \"admin\" is not one of")
                                        .contains("line 4: the name is not")
                                        .contains("line 5 is not name:bcrypt-hash:roles")
                                        .contains("line 7: eve is listed twice").doesNotContain(HASH.substring(7)));
        assertThatThrownBy(() -> UsersFile.parse(FILE, List.of("# nobody"))).hasMessageContaining("no user in it");
    }

    @Test
    void theGuardSortsPathsIntoOpenMetricsPagesAndData() {
        assertThat(AccessGuard.areaOf(HttpMethod.GET, "/q/health/ready")).isEqualTo(AccessGuard.Area.OPEN);
        assertThat(AccessGuard.areaOf(HttpMethod.GET, "/login.html")).isEqualTo(AccessGuard.Area.OPEN);
        assertThat(AccessGuard.areaOf(HttpMethod.GET, "/q/metrics")).isEqualTo(AccessGuard.Area.METRICS);
        assertThat(AccessGuard.areaOf(HttpMethod.GET, "/")).isEqualTo(AccessGuard.Area.PAGE);
        assertThat(AccessGuard.areaOf(HttpMethod.GET, "/streams/cam-1")).isEqualTo(AccessGuard.Area.PAGE);
        assertThat(AccessGuard.areaOf(HttpMethod.GET, "/streams/cam-1/mjpeg")).isEqualTo(AccessGuard.Area.DATA);
        assertThat(AccessGuard.areaOf(HttpMethod.GET, "/q/healthz")).isEqualTo(AccessGuard.Area.DATA);
        assertThat(AccessGuard.areaOf(HttpMethod.POST, "/")).isEqualTo(AccessGuard.Area.DATA);
    }
}
