package dev.ferry.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.ferry.testing.KafkaBrokerResource;
import dev.ferry.testing.MjpegClient;
import dev.ferry.testing.TestIdentityProvider;
import dev.ferry.testing.TestTokens;
import dev.ferry.testing.TestVideos;

/**
 * Access as the producer and consumer profiles have it (ferry.http.auth=required): anonymous requests get 401 on every
 * endpoint but the probes and the login page, a browser is sent to log in and back, a login from the users file and a
 * token from the identity provider both work, each role opens only its part, and forged tokens and wrong passwords get
 * nothing.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerResource.class)
@TestProfile(LockedAccessTest.Locked.class)
class LockedAccessTest {

    static final String PASSWORD = "correct horse battery staple";
    static final Path STREAMS = Path.of("target", "locked-streams-" + ProcessHandle.current().pid(), "inbox")
            .toAbsolutePath();

    /** Users from a bcrypt users file, bearer tokens signed by the test key, and an identity provider for SSO. */
    public static class Locked implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(TestIdentityProvider.class));
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path users = Files.createDirectories(Path.of("target", "test-keys")).resolve("users.txt");
                Files.write(users, List.of("# name:bcrypt:roles", "alice:" + bcrypt(PASSWORD) + ":viewer",
                        "prometheus:" + bcrypt(PASSWORD) + ":metrics"));
                return Map.of("ferry.http.auth", "required", "ferry.http.users-file", users.toAbsolutePath().toString(),
                        "mp.jwt.verify.publickey.location", TestTokens.publicKeyFile().toString(),
                        "mp.jwt.verify.issuer", TestTokens.ISSUER, "ferry.streams.inbox", STREAMS.toString(),
                        "ferry.streams.native-cache", Path.of("target", "javacpp-cache").toAbsolutePath().toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @TestHTTPResource("/")
    URL base;

    static String bcrypt(String password) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 10);
    }

    HttpResponse<String> get(HttpClient client, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    URI uri(String path) {
        return URI.create(base.toString().replaceAll("/$", "") + path);
    }

    @Test
    void anonymousRequestsGet401EverywhereButTheProbesAndTheLoginPage() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        for (String path : List.of("/api/transfers", "/api/live/now", "/api/streams", "/api/access", "/q/metrics",
                "/q/openapi", "/streams/any/mjpeg", "/dashboard.js", "/streams.js")) {
            HttpResponse<String> r = get(client, path, null);
            System.out.printf("anonymous GET %-20s -> %d%n", path, r.statusCode());
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(r.headers().firstValue("www-authenticate")).as(path).contains("Bearer realm=\"ferry\"");
        }
        assertThat(get(client, "/q/health/live", null).statusCode()).isEqualTo(200);
        assertThat(get(client, "/q/health/ready", null).statusCode()).isIn(200, 503);
        assertThat(get(client, "/login.html", null).statusCode()).isEqualTo(200);
    }

    @Test
    void aBrowserIsSentToLogInAndBackAndThenSeesTheDashboard() throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        HttpResponse<String> page = get(browser, "/streams", null);
        assertThat(page.statusCode()).isEqualTo(302);
        assertThat(page.headers().firstValue("location")).contains("/login.html?next=%2Fstreams");

        HttpResponse<String> wrong = login(browser, "alice", "guess");
        assertThat(wrong.statusCode()).isEqualTo(302);
        assertThat(wrong.headers().firstValue("location").orElseThrow()).contains("/login.html?failed");
        assertThat(get(browser, "/api/transfers", null).statusCode()).isEqualTo(401);

        HttpResponse<String> right = login(browser, "alice", PASSWORD);
        assertThat(right.statusCode()).isEqualTo(302);
        assertThat(right.headers().firstValue("location").orElseThrow()).as("back where the browser was")
                .endsWith("/streams");
        HttpResponse<String> dashboard = get(browser, "/", null);
        assertThat(dashboard.statusCode()).isEqualTo(200);
        assertThat(dashboard.headers().firstValue("cache-control")).as("not kept after logout").contains("no-store");
        assertThat(get(browser, "/api/transfers", null).statusCode()).isEqualTo(200);
        assertThat(get(browser, "/api/access", null).body()).contains("\"user\":\"alice\"").contains("viewer");
        assertThat(get(browser, "/q/metrics", null).statusCode()).as("a viewer is not a metrics scraper")
                .isEqualTo(403);

        HttpResponse<String> out = get(browser, "/logout", null);
        assertThat(out.statusCode()).isEqualTo(302);
        assertThat(get(browser, "/api/transfers", null).statusCode()).isEqualTo(401);
    }

    @Test
    void tokensOpenWhatTheirRolesAllowAndForgedOnesNothing() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        String viewer = TestTokens.token("script", Roles.VIEWER);
        String metrics = TestTokens.token("prometheus", Roles.METRICS);
        assertThat(get(client, "/api/transfers", viewer).statusCode()).isEqualTo(200);
        assertThat(get(client, "/q/metrics", viewer).statusCode()).isEqualTo(403);
        assertThat(get(client, "/q/metrics", metrics).statusCode()).isEqualTo(200);
        assertThat(get(client, "/api/transfers", metrics).statusCode()).isEqualTo(403);
        assertThat(get(client, "/api/transfers", TestTokens.forgedToken("mallory", Roles.VIEWER)).statusCode())
                .isEqualTo(401);
        assertThat(get(client, "/api/transfers", "not-a-token").statusCode()).isEqualTo(401);
        assertThat(get(client, "/api/transfers", TestTokens.expiredToken("script", Roles.VIEWER)).statusCode())
                .isEqualTo(401);
    }

    /**
     * One user holding many viewers (idle or not) does not lock another out: past 4 of one user's viewers the next is
     * refused with 429, while another user still gets the stream.
     */
    @Test
    void oneUsersViewersDoNotLockAnotherUserOut() throws Exception {
        TestVideos.record(STREAMS.resolve("shared.mp4"), "mp4", 240, 24, 96, 72);
        HttpClient client = HttpClient.newHttpClient();
        String mallory = TestTokens.token("mallory", Roles.VIEWER);
        await("the stream is announced").atMost(Duration.ofSeconds(60))
                .until(() -> get(client, "/api/streams/shared", mallory).statusCode() == 200);
        List<MjpegClient> held = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                held.add(new MjpegClient(new URL(base, "/streams/shared/mjpeg?from=start&viewer=m" + i), mallory));
            }
            for (int i = 4; i < 33; i++) {
                int n = i;
                assertThatThrownBy(() -> new MjpegClient(new URL(base, "/streams/shared/mjpeg?viewer=m" + n), mallory))
                        .hasMessageContaining("HTTP 429");
            }
            try (MjpegClient bob = new MjpegClient(new URL(base, "/streams/shared/mjpeg?from=start"),
                    TestTokens.token("bob", Roles.VIEWER))) {
                assertThat(bob.next().frame()).as("another user still watches").isZero();
            }
            assertThatThrownBy(() -> new MjpegClient(new URL(base, "/streams/shared/mjpeg"), null))
                    .as("and nobody anonymous").hasMessageContaining("HTTP 401");
        } finally {
            for (MjpegClient c : held) {
                c.close();
            }
        }
    }

    @Test
    void aUserWithOnlyTheMetricsRoleSeesMetricsAndNothingElse() throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        assertThat(login(browser, "prometheus", PASSWORD).statusCode()).isEqualTo(302);
        assertThat(get(browser, "/q/metrics", null).statusCode()).isEqualTo(200);
        assertThat(get(browser, "/api/transfers", null).statusCode()).isEqualTo(403);
    }

    /**
     * Single sign-on as a browser goes through it, redirect by redirect: Ferry sends it to the identity provider (with
     * PKCE), the provider's login sends it back with a code, Quarkus redeems the code and returns it to
     * {@code /login/sso}, which sends it on to the page it came for. A provider's user whose groups do not include
     * {@code viewer} is known but sees nothing; the session ends at {@code /logout}.
     */
    @Test
    void peopleLogInThroughTheIdentityProviderWithTheRolesOfTheirGroups() throws Exception {
        assertThat(get(HttpClient.newHttpClient(), "/login/methods", null).body())
                .isEqualTo("{\"password\":true,\"sso\":true}");

        HttpClient ada = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        HttpResponse<String> start = get(ada, "/login/sso?next=%2Fstreams", null);
        assertThat(start.statusCode()).isEqualTo(302);
        String authorize = start.headers().firstValue("location").orElseThrow();
        assertThat(authorize).contains("/realm/auth?").contains("client_id=" + TestIdentityProvider.CLIENT_ID)
                .contains("code_challenge_method=S256");
        assertThat(ssoLogin(ada, authorize, "ada")).as("back on the page it came for").endsWith("/streams");
        assertThat(get(ada, "/streams", null).statusCode()).isEqualTo(200);
        assertThat(get(ada, "/api/access", null).body()).contains("\"user\":\"ada\"").contains("viewer");
        assertThat(get(ada, "/q/metrics", null).statusCode()).isEqualTo(403);
        assertThat(get(ada, "/logout", null).statusCode()).isEqualTo(302);
        assertThat(get(ada, "/api/transfers", null).statusCode()).as("logged out").isEqualTo(401);

        HttpClient eve = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        String eveAuthorize = get(eve, "/login/sso", null).headers().firstValue("location").orElseThrow();
        assertThat(ssoLogin(eve, eveAuthorize, "eve")).endsWith("/");
        HttpResponse<String> refused = get(eve, "/api/transfers", null);
        assertThat(refused.statusCode()).as("known, but not in the viewer group").isEqualTo(403);
        assertThat(refused.body()).isEqualTo("eve does not have the role viewer\n");

        HttpResponse<String> elsewhere = get(ada, "/login/sso?next=%2F%2Fevil.example%2F", null);
        assertThat(ssoLogin(ada, elsewhere.headers().firstValue("location").orElseThrow(), "ada"))
                .as("never sent to another site").doesNotContain("evil");
    }

    /** Logs in at the test identity provider and follows the redirects back; returns where Ferry sends it last. */
    private String ssoLogin(HttpClient browser, String authorize, String user) throws Exception {
        HttpResponse<String> form = browser.send(HttpRequest.newBuilder(URI.create(authorize)).build(),
                HttpResponse.BodyHandlers.ofString());
        StringBuilder fields = new StringBuilder("username=" + user);
        Matcher hidden = Pattern.compile("name='([a-z_]+)' value='([^']*)'").matcher(form.body());
        while (hidden.find()) {
            fields.append('&').append(hidden.group(1)).append('=').append(URLEncoder
                    .encode(hidden.group(2).replace("&amp;", "&").replace("&#39;", "'"), StandardCharsets.UTF_8));
        }
        String action = authorize.substring(0, authorize.indexOf("/auth?")) + "/login";
        HttpResponse<String> r = browser.send(
                HttpRequest.newBuilder(URI.create(action)).header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(fields.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        String location = null;
        for (int hop = 0; hop < 5 && r.statusCode() == 302; hop++) {
            location = r.headers().firstValue("location").orElseThrow();
            if (!location.contains("code=") && !location.contains("/login/sso")) {
                return location;
            }
            r = browser.send(HttpRequest
                    .newBuilder(URI.create(location).isAbsolute() ? URI.create(location) : uri(location)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
        throw new AssertionError("no way back to Ferry: " + r.statusCode() + " " + location + " " + r.body());
    }

    HttpResponse<String> login(HttpClient client, String name, String password) throws Exception {
        String form = "j_username=" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "&j_password="
                + URLEncoder.encode(password, StandardCharsets.UTF_8);
        return client.send(HttpRequest.newBuilder(uri("/j_security_check"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
