package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * An OpenID Connect identity provider for the tests, on loopback (no identity provider can be run here from Maven
 * Central without a container): discovery, a JSON Web Key Set, an authorization endpoint with a login form, and a token
 * endpoint that checks the client secret, the one-time code, its redirect URI and the PKCE verifier, and issues ID
 * tokens signed by {@link TestTokens}'s key. Its users: {@code ada} (group {@code viewer}) and {@code eve} (no group).
 * It is real HTTP and real OIDC as Quarkus speaks it; only the password check of a real provider is left out.
 */
public class TestIdentityProvider implements QuarkusTestResourceLifecycleManager {

    public static final String CLIENT_ID = "ferry";
    static final String CLIENT_SECRET = "test-client-secret-which-is-at-least-32-characters";
    private static final Map<String, Set<String>> GROUPS = Map.of("ada", Set.of("viewer"), "eve", Set.of());

    private final Map<String, Grant> codes = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private HttpServer server;
    private String issuer;

    /** What a login granted, until the client redeems its code once. */
    private record Grant(String user, String redirectUri, String nonce, String challenge) {
    }

    @Override
    public Map<String, String> start() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realm";
        server.createContext("/realm/.well-known/openid-configuration", ex -> send(ex, 200, "application/json", """
                {"issuer":"%1$s","authorization_endpoint":"%1$s/auth","token_endpoint":"%1$s/token",
                 "jwks_uri":"%1$s/jwks","response_types_supported":["code"],"subject_types_supported":["public"],
                 "id_token_signing_alg_values_supported":["RS256"],"code_challenge_methods_supported":["S256"]}
                """.formatted(issuer)));
        server.createContext("/realm/jwks", ex -> send(ex, 200, "application/json", TestTokens.jwks()));
        server.createContext("/realm/auth", this::loginForm);
        server.createContext("/realm/login", this::login);
        server.createContext("/realm/token", this::token);
        server.start();
        return Map.of("quarkus.oidc.tenant-enabled", "true", "quarkus.oidc.auth-server-url", issuer,
                "quarkus.oidc.client-id", CLIENT_ID, "quarkus.oidc.credentials.secret", CLIENT_SECRET);
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private void loginForm(HttpExchange ex) throws IOException {
        Map<String, String> q = parse(ex.getRequestURI().getRawQuery());
        if (!CLIENT_ID.equals(q.get("client_id")) || !"code".equals(q.get("response_type"))) {
            send(ex, 400, "text/plain", "unknown client or response type: " + q);
            return;
        }
        StringBuilder hidden = new StringBuilder();
        for (String name : new String[] { "redirect_uri", "state", "nonce", "code_challenge" }) {
            hidden.append("<input type='hidden' name='").append(name).append("' value='")
                    .append(q.getOrDefault(name, "").replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;"))
                    .append("'>");
        }
        send(ex, 200, "text/html",
                "<!DOCTYPE html><title>Test identity provider</title><form method='post' action='" + issuer + "/login'>"
                        + hidden + "<input name='username'><button type='submit'>Sign in</button></form>");
    }

    private void login(HttpExchange ex) throws IOException {
        Map<String, String> form = parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String user = form.get("username");
        if (!GROUPS.containsKey(user)) {
            send(ex, 403, "text/plain", "no such user");
            return;
        }
        String code = Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
        codes.put(code, new Grant(user, form.get("redirect_uri"), blankToNull(form.get("nonce")),
                blankToNull(form.get("code_challenge"))));
        String back = form.get("redirect_uri") + (form.get("redirect_uri").contains("?") ? "&" : "?") + "code=" + code
                + "&state=" + URLEncoder.encode(form.get("state"), StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Location", URI.create(back).toString());
        send(ex, 302, "text/plain", "");
    }

    private void token(HttpExchange ex) throws IOException {
        Map<String, String> form = parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String basic = "Basic " + Base64.getEncoder()
                .encodeToString((CLIENT_ID + ":" + CLIENT_SECRET).getBytes(StandardCharsets.UTF_8));
        boolean clientKnown = basic.equals(ex.getRequestHeaders().getFirst("Authorization"))
                || (CLIENT_ID.equals(form.get("client_id")) && CLIENT_SECRET.equals(form.get("client_secret")));
        Grant grant = form.get("code") == null ? null : codes.remove(form.get("code"));
        if (!clientKnown || grant == null || !"authorization_code".equals(form.get("grant_type"))
                || !grant.redirectUri().equals(form.get("redirect_uri"))
                || (grant.challenge() != null && !grant.challenge().equals(s256(form.get("code_verifier"))))) {
            send(ex, 400, "application/json", "{\"error\":\"invalid_grant\"}");
            return;
        }
        String idToken = TestTokens.idToken(issuer, CLIENT_ID, grant.user(), grant.nonce(), GROUPS.get(grant.user()));
        send(ex, 200, "application/json", "{\"access_token\":\"" + idToken + "\",\"id_token\":\"" + idToken
                + "\",\"token_type\":\"Bearer\",\"expires_in\":600}");
    }

    private static String s256(String verifier) {
        if (verifier == null) {
            return null;
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    private static Map<String, String> parse(String query) {
        Map<String, String> values = new HashMap<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    values.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", type + "; charset=utf-8");
        ex.sendResponseHeaders(status, status == 302 ? -1 : bytes.length);
        if (status != 302) {
            ex.getResponseBody().write(bytes);
        }
        ex.close();
    }
}
