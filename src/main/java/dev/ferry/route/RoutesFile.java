package dev.ferry.route;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.quarkus.runtime.configuration.MemorySizeConverter;

import dev.ferry.chunk.ChunkCompression;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig.SourcePolicy;

/**
 * Reads and checks a routes file (YAML), the way an operator checks a custom resource: every problem is reported at
 * once, each naming the route, the key, the value and what is allowed, and nothing of an invalid file is used. Keys a
 * route leaves out take the value of the flat setting ({@code ferry.include}, {@code ferry.chunk-size}, ...).
 *
 * <pre>
 * routes:
 *   - name: reports                       # [a-z0-9-], unique
 *     inbox: /var/lib/ferry/inbox/reports # producer side
 *     outbox: /var/lib/ferry/outbox/reports # consumer side
 *     topic: ferry-chunks.reports         # default: ferry.topic + "." + name
 *     include: ["**&#47;*.csv"]
 *     exclude: [".*", "*.part"]
 *     chunk-size: 1M
 *     source-policy: delete                # keep | delete | move (with archive)
 *     archive: /var/lib/ferry/archive/reports
 *     compression: auto                    # none | zstd | lz4 | auto
 *     encryption-key: /etc/ferry/keys/reports.key # or none: this route in the clear
 * </pre>
 */
public final class RoutesFile {

    static final Set<String> KEYS = Set.of("name", "inbox", "outbox", "topic", "include", "exclude", "chunk-size",
            "source-policy", "archive", "compression", "encryption-key");
    static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    static final long MIN_CHUNK = WireFormat.MIN_CHUNK_BYTES;
    static final long MAX_CHUNK = WireFormat.MAX_CHUNK_BYTES;

    /** What a route takes from the flat settings when it does not say, and what the process can do. */
    public record Defaults(String topic, List<String> include, List<String> exclude, int chunkSize,
            SourcePolicy sourcePolicy, Optional<Path> archive, ChunkCompression compression,
            Optional<Path> encryptionKey, Set<String> reservedTopics, boolean produces, boolean consumes,
            Pattern topicPattern) {
    }

    private final String source;
    private final Defaults defaults;
    private final List<String> problems = new ArrayList<>();

    private RoutesFile(String source, Defaults defaults) {
        this.source = source;
        this.defaults = defaults;
    }

    /**
     * @param source
     *            where the text came from, for messages
     *
     * @throws InvalidRoutesException
     *             listing every problem
     */
    public static Routes parse(String yaml, String source, Defaults defaults) throws InvalidRoutesException {
        return new RoutesFile(source, defaults).read(yaml);
    }

    private Routes read(String yaml) throws InvalidRoutesException {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new InvalidRoutesException(source, List.of("not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")")));
        }
        if (root == null || !root.isObject() || !root.has("routes")) {
            throw new InvalidRoutesException(source,
                    List.of("expected a mapping with the key \"routes\" holding a list of routes"));
        }
        root.fieldNames().forEachRemaining(k -> {
            if (!k.equals("routes")) {
                problems.add("unknown top-level key \"" + k + "\"; allowed: routes");
            }
        });
        JsonNode list = root.get("routes");
        if (!list.isArray() || list.isEmpty()) {
            throw new InvalidRoutesException(source, List.of("\"routes\" must be a list with at least one route"));
        }
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            route(i, list.get(i)).ifPresent(routes::add);
        }
        across(routes);
        if (!problems.isEmpty()) {
            throw new InvalidRoutesException(source, problems);
        }
        return new Routes(routes);
    }

    private Optional<Route> route(int index, JsonNode node) {
        String at = "routes[" + index + "]";
        if (!node.isObject()) {
            problems.add(at + " must be a mapping (name, inbox, topic, ...)");
            return Optional.empty();
        }
        String name = text(node, "name");
        if (name == null || !NAME.matcher(name).matches()) {
            problems.add(at + ": name is " + quote(name) + "; allowed: 1 to 63 of a-z, 0-9 and -, starting and ending "
                    + "with a letter or digit");
            return Optional.empty();
        }
        at = at + " (" + name + ")";
        int before = problems.size();
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext();) {
            String key = keys.next();
            if (!KEYS.contains(key)) {
                problems.add(at + ": unknown key \"" + key + "\"; allowed: " + new TreeSet<>(KEYS));
            }
        }
        Optional<Path> inbox = path(at, node, "inbox");
        Optional<Path> outbox = path(at, node, "outbox");
        if (defaults.produces() && inbox.isEmpty() && !node.has("inbox")) {
            problems.add(at + ": inbox is required: the producer sends the files in it");
        }
        if (defaults.consumes() && outbox.isEmpty() && !node.has("outbox")) {
            problems.add(at + ": outbox is required: the consumer delivers into it");
        }
        String topic = node.has("topic") ? text(node, "topic") : defaults.topic() + "." + name;
        if (topic == null || !TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            problems.add(at + ": topic is " + quote(topic) + "; allowed: 1 to 249 of a-z, A-Z, 0-9, '.', '_', '-'");
        } else if (defaults.reservedTopics().contains(topic)) {
            problems.add(at + ": topic " + topic + " is Ferry's dead-letter or receipts topic");
        } else if (defaults.consumes() && !defaults.topicPattern().matcher(topic).matches()) {
            problems.add(at + ": topic " + topic + " is outside ferry.topic-pattern (" + defaults.topicPattern()
                    + "), which the consumer subscribes to at start-up; rename the topic or change the pattern "
                    + "and restart");
        }
        List<String> include = globs(at, node, "include", defaults.include());
        List<String> exclude = globs(at, node, "exclude", defaults.exclude());
        int chunkSize = defaults.chunkSize();
        if (node.has("chunk-size")) {
            String value = node.get("chunk-size").asText();
            try {
                long size = new MemorySizeConverter().convert(value).asLongValue();
                if (size < MIN_CHUNK || size > MAX_CHUNK) {
                    problems.add(at + ": chunk-size is " + quote(value) + "; allowed: 1K to 16M");
                } else {
                    chunkSize = (int) size;
                }
            } catch (RuntimeException e) {
                problems.add(at + ": chunk-size is " + quote(value) + "; allowed: a size like 512K or 1M");
            }
        }
        SourcePolicy policy = defaults.sourcePolicy();
        if (node.has("source-policy")) {
            String value = node.get("source-policy").asText();
            try {
                policy = SourcePolicy.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add(at + ": source-policy is " + quote(value) + "; allowed: keep, delete, move");
            }
        }
        Optional<Path> archive = node.has("archive") ? path(at, node, "archive") : defaults.archive();
        if (defaults.produces() && policy == SourcePolicy.MOVE && archive.isEmpty()) {
            problems.add(at + ": source-policy is move but there is no archive to move sent files to");
        }
        ChunkCompression compression = defaults.compression();
        if (node.has("compression")) {
            String value = node.get("compression").asText();
            try {
                compression = ChunkCompression.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add(at + ": compression is " + quote(value) + "; allowed: none, zstd, lz4, auto");
            }
        }
        Optional<Path> encryptionKey = defaults.encryptionKey();
        if (node.has("encryption-key")) {
            // "none" sends this route in the clear even where ferry.encryption-key is set for the others.
            encryptionKey = "none".equals(text(node, "encryption-key")) ? Optional.empty()
                    : path(at, node, "encryption-key");
        }
        if (problems.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new Route(name, inbox, outbox, topic, include, exclude, chunkSize, policy, archive,
                compression, encryptionKey));
    }

    /** Rules between routes: unique names, one route per topic on the consumer, folders that do not overlap. */
    private void across(List<Route> routes) {
        Set<String> names = new HashSet<>();
        Map<String, String> topics = new HashMap<>();
        List<Map.Entry<String, Path>> folders = new ArrayList<>();
        for (Route r : routes) {
            if (!names.add(r.name())) {
                problems.add("route name " + r.name() + " is used twice");
            }
            if (defaults.consumes()) {
                String other = topics.putIfAbsent(r.topic(), r.name());
                if (other != null) {
                    problems.add("routes " + other + " and " + r.name() + " both read topic " + r.topic()
                            + ": the consumer could not tell which outbox a file goes to");
                }
            }
            if (defaults.produces()) {
                r.inbox().ifPresent(p -> folders.add(Map.entry(r.name() + " inbox", p)));
                r.archive().filter(a -> r.sourcePolicy() == SourcePolicy.MOVE)
                        .ifPresent(p -> folders.add(Map.entry(r.name() + " archive", p)));
            }
            if (defaults.consumes()) {
                r.outbox().ifPresent(p -> folders.add(Map.entry(r.name() + " outbox", p)));
            }
        }
        for (int i = 0; i < folders.size(); i++) {
            for (int j = i + 1; j < folders.size(); j++) {
                Path a = folders.get(i).getValue();
                Path b = folders.get(j).getValue();
                if (a.startsWith(b) || b.startsWith(a)) {
                    problems.add(folders.get(i).getKey() + " (" + a + ") and " + folders.get(j).getKey() + " (" + b
                            + ") overlap: files would be sent or delivered twice");
                }
            }
        }
    }

    private Optional<Path> path(String at, JsonNode node, String key) {
        if (!node.has(key)) {
            return Optional.empty();
        }
        String value = text(node, key);
        if (value == null || value.isBlank() || !value.startsWith("/")) {
            problems.add(at + ": " + key + " is " + quote(value) + "; allowed: an absolute path");
            return Optional.empty();
        }
        return Optional.of(Path.of(value).normalize());
    }

    private List<String> globs(String at, JsonNode node, String key, List<String> fallback) {
        if (!node.has(key)) {
            return fallback;
        }
        JsonNode value = node.get(key);
        List<String> globs = new ArrayList<>();
        if (value.isTextual()) {
            globs.add(value.asText());
        } else if (value.isArray()) {
            value.forEach(v -> globs.add(v.asText()));
        } else {
            problems.add(at + ": " + key + " must be a glob or a list of globs");
            return fallback;
        }
        for (String glob : globs) {
            try {
                FileSystems.getDefault().getPathMatcher("glob:" + glob);
            } catch (RuntimeException e) {
                problems.add(at + ": " + key + " holds " + quote(glob) + ", not a valid glob: " + e.getMessage());
            }
        }
        return List.copyOf(globs);
    }

    private static String text(JsonNode node, String key) {
        JsonNode v = node.get(key);
        return v == null || v.isNull() || v.isContainerNode() ? null : v.asText();
    }

    private static String quote(String value) {
        return value == null ? "missing" : "\"" + value + "\"";
    }
}
