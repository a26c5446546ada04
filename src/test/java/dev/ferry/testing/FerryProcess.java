package dev.ferry.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The packaged application ({@code target/quarkus-app/quarkus-run.jar}) running as a separate process with one role,
 * configured only by environment variables, as in production. Output goes to a log file for diagnosis.
 */
public final class FerryProcess implements AutoCloseable {

    /** What the tests' requests carry: a token with every role. */
    public static final String TOKEN = TestTokens.token("ferry-tests", "viewer", "metrics");

    private final Process process;
    private final int httpPort;
    private final Path log;

    private FerryProcess(Process process, int httpPort, Path log) {
        this.process = process;
        this.httpPort = httpPort;
        this.log = log;
    }

    /**
     * Starts the packaged app for a test; {@code env} adds to (or overrides) the role's settings. Tests start about 80
     * processes, each of which spent most of its start compiling with C2 on a machine of two cores shared with the
     * broker and the other role: C1 alone halves a start's CPU (6 to 3 CPU-seconds measured) and changes nothing a test
     * checks. Benchmarks use {@link #startAsDeployed}.
     */
    public static FerryProcess start(String profile, Map<String, String> env, Path log, String... jvmArgs) {
        List<String> args = new ArrayList<>(List.of("-XX:TieredStopAtLevel=1"));
        args.addAll(List.of(jvmArgs));
        return launch(profile, env, log, args);
    }

    /**
     * Starts the packaged app as its image runs it (full JIT, the image's JVM arguments, {@link #imageJvmArguments}):
     * what a benchmark measures. {@code jvmArgs} come after them; one that picks a collector replaces the image's.
     */
    public static FerryProcess startAsDeployed(String profile, Map<String, String> env, Path log, String... jvmArgs) {
        boolean ownCollector = Arrays.stream(jvmArgs).anyMatch(FerryProcess::picksCollector);
        List<String> args = new ArrayList<>();
        imageJvmArguments().stream().filter(a -> !(ownCollector && picksCollector(a))).forEach(args::add);
        args.addAll(List.of(jvmArgs));
        return launch(profile, env, log, args);
    }

    /**
     * The JVM arguments the container image starts Ferry with: {@code quarkus.jib.jvm-arguments} in
     * application.properties, the one place they are written (Jib puts them in the image's entrypoint).
     */
    public static List<String> imageJvmArguments() {
        Properties properties = new Properties();
        try (InputStream in = FerryProcess.class.getResourceAsStream("/application.properties")) {
            properties.load(Objects.requireNonNull(in, "application.properties is not on the class path"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String arguments = properties.getProperty("quarkus.jib.jvm-arguments", "");
        return Arrays.stream(arguments.split(",")).map(String::trim).filter(a -> !a.isEmpty()).toList();
    }

    private static boolean picksCollector(String jvmArg) {
        return jvmArg.startsWith("-XX:+Use") && jvmArg.endsWith("GC");
    }

    private static FerryProcess launch(String profile, Map<String, String> env, Path log, List<String> jvmArgs) {
        Path jar = Path.of(System.getProperty("ferry.app.jar", "target/quarkus-app/quarkus-run.jar"));
        if (!Files.exists(jar)) {
            throw new IllegalStateException(
                    jar + " is missing: run ./mvnw verify (integration tests need the package)");
        }
        int port = FreePorts.next();
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("QUARKUS_PROFILE", profile);
        builder.environment().put("QUARKUS_HTTP_PORT", Integer.toString(port));
        // As in production, HTTP needs credentials: tokens from TestTokens, which get() and body() send.
        builder.environment().putAll(TestTokens.env());
        builder.environment().putAll(env);
        // An empty value in env unsets a setting (a test of what happens without it).
        builder.environment().values().removeIf(String::isEmpty);
        try {
            Files.createDirectories(log.getParent());
            builder.redirectErrorStream(true).redirectOutput(log.toFile());
            return new FerryProcess(builder.start(), port, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** The HTTP port it serves on. */
    public int port() {
        return httpPort;
    }

    public Path log() {
        return log;
    }

    /** The HTTP status of a GET on this process, or -1 if it does not answer. */
    public int get(String path) {
        HttpResponse<String> response = fetch(path);
        return response == null ? -1 : response.statusCode();
    }

    /** The body of a GET on this process, or "" if it does not answer. */
    public String body(String path) {
        HttpResponse<String> response = fetch(path);
        return response == null ? "" : response.body();
    }

    private HttpResponse<String> fetch(String path) {
        try {
            return HttpClient.newHttpClient()
                    .send(HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path))
                            .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Waits for the process to end by itself; its exit code, or -1 if it still runs after {@code limit}. */
    public int awaitExit(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** SIGTERM, then waits; returns the exit code, or -1 if it had to be killed. */
    public int stop(Duration grace) throws InterruptedException {
        process.destroy();
        if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            return process.exitValue();
        }
        process.destroyForcibly().waitFor();
        return -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor();
        }
    }
}
