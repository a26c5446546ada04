package dev.ferry.kubernetes;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import com.fasterxml.jackson.databind.JsonNode;

import io.smallrye.config.WithParentName;

import dev.ferry.config.FerryConfig;

/**
 * What schema validation of the rendered manifests cannot see: references between objects (a mount without a volume, a
 * claim or ConfigMap that nothing defines), environment variables that no setting reads, and the shape Ferry's
 * guarantees need (one producer with Recreate, a consumer StatefulSet with its own state volume, version-free
 * selectors). Each problem is a sentence naming the object.
 */
final class ManifestChecks {

    /**
     * Environment variables that are not Ferry's or Kafka's settings: the role, the heap share and collector settings
     * read by the Quarkus image's start script, the namespace quarkus-kubernetes adds to a Deployment, and Quarkus's
     * own HTTP settings for HTTPS and browser sessions (docs/access.md).
     */
    private static final Set<String> IMAGE_ENV = Set.of("JAVA_MAX_MEM_RATIO", "GC_TIME_RATIO",
            "GC_ADAPTIVE_SIZE_POLICY_WEIGHT", "GC_MIN_HEAP_FREE_RATIO", "GC_MAX_HEAP_FREE_RATIO", "QUARKUS_PROFILE",
            "KUBERNETES_NAMESPACE", "QUARKUS_HTTP_AUTH_SESSION_ENCRYPTION_KEY", "QUARKUS_HTTP_SSL_CERTIFICATE_FILES",
            "QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES", "QUARKUS_HTTP_SSL_CERTIFICATE_RELOAD_PERIOD",
            "QUARKUS_HTTP_INSECURE_REQUESTS");

    private final List<JsonNode> docs;
    private final Set<String> secretsMadeElsewhere;
    private final List<String> problems = new ArrayList<>();

    /** {@code secretsMadeElsewhere}: Secrets that no manifest defines because an operator (Strimzi) makes them. */
    private ManifestChecks(List<JsonNode> docs, Set<String> secretsMadeElsewhere) {
        this.docs = docs;
        this.secretsMadeElsewhere = secretsMadeElsewhere;
    }

    static List<String> problems(List<JsonNode> docs, Set<String> secretsMadeElsewhere) {
        ManifestChecks checks = new ManifestChecks(docs, secretsMadeElsewhere);
        checks.run();
        return checks.problems;
    }

    static Optional<JsonNode> find(List<JsonNode> docs, String kind, String name) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText()))
                .filter(d -> name.equals(d.path("metadata").path("name").asText())).findFirst();
    }

    /** The names of FerryConfig's keys as environment variables (ferry.chunk-size is FERRY_CHUNK_SIZE). */
    static Set<String> ferryEnvNames() {
        Set<String> names = new TreeSet<>();
        addEnvNames(FerryConfig.class, "FERRY_", names);
        return names;
    }

    /** Groups flat in the key space ({@code @WithParentName}) add their keys as they are; others add a prefix. */
    private static void addEnvNames(Class<?> mapping, String prefix, Set<String> names) {
        for (Method m : mapping.getDeclaredMethods()) {
            if (m.getParameterCount() != 0 || m.isDefault() || Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String name = m.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
            Class<?> type = m.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == FerryConfig.class) {
                addEnvNames(type, m.isAnnotationPresent(WithParentName.class) ? prefix : prefix + name + "_", names);
            } else {
                names.add(prefix + name);
            }
        }
    }

    private void run() {
        Set<String> claims = namesOf("PersistentVolumeClaim");
        Set<String> configMaps = namesOf("ConfigMap");
        Set<String> ferryEnv = ferryEnvNames();
        for (JsonNode workload : docs) {
            String kind = workload.path("kind").asText();
            if (!kind.equals("Deployment") && !kind.equals("StatefulSet")) {
                continue;
            }
            String name = kind + " " + workload.path("metadata").path("name").asText();
            JsonNode spec = workload.path("spec");
            JsonNode pod = spec.path("template").path("spec");

            Set<String> volumes = new HashSet<>();
            pod.path("volumes").forEach(v -> {
                volumes.add(v.path("name").asText());
                String claim = v.path("persistentVolumeClaim").path("claimName").asText(null);
                if (claim != null && !claims.contains(claim)) {
                    problem(name + ": volume " + v.path("name").asText() + " uses claim " + claim
                            + ", which no PersistentVolumeClaim defines");
                }
                String cm = v.path("configMap").path("name").asText(null);
                if (cm != null && !configMaps.contains(cm)) {
                    problem(name + ": volume " + v.path("name").asText() + " uses ConfigMap " + cm
                            + ", which is not defined");
                }
            });
            spec.path("volumeClaimTemplates").forEach(t -> volumes.add(t.path("metadata").path("name").asText()));

            JsonNode selector = spec.path("selector").path("matchLabels");
            if (selector.has("app.kubernetes.io/version")) {
                problem(name + ": the selector holds the version label; selectors are immutable, so every upgrade "
                        + "would need a delete");
            }
            JsonNode podLabels = spec.path("template").path("metadata").path("labels");
            selector.fields().forEachRemaining(e -> {
                if (!e.getValue().asText().equals(podLabels.path(e.getKey()).asText())) {
                    problem(name + ": pod labels do not match selector " + e.getKey() + "=" + e.getValue().asText());
                }
            });

            for (JsonNode c : pod.path("containers")) {
                c.path("volumeMounts").forEach(m -> {
                    if (!volumes.contains(m.path("name").asText())) {
                        problem(name + ": mount " + m.path("mountPath").asText() + " names volume "
                                + m.path("name").asText() + ", which is neither a volume nor a volumeClaimTemplate");
                    }
                });
                c.path("envFrom").forEach(f -> {
                    String cm = f.path("configMapRef").path("name").asText(null);
                    if (cm != null && !configMaps.contains(cm)) {
                        problem(name + ": envFrom ConfigMap " + cm + " is not defined");
                    }
                    if (cm != null) {
                        find(docs, "ConfigMap", cm).ifPresent(map -> map.path("data").fieldNames().forEachRemaining(
                                key -> checkEnvName(name + " (from ConfigMap " + cm + ")", key, ferryEnv)));
                    }
                });
                c.path("env").forEach(e -> {
                    checkEnvName(name, e.path("name").asText(), ferryEnv);
                    JsonNode ref = e.path("valueFrom").path("secretKeyRef");
                    if (!ref.isMissingNode() && !secretsMadeElsewhere.contains(ref.path("name").asText())
                            && !namesOf("Secret").contains(ref.path("name").asText())) {
                        problem(name + ": env " + e.path("name").asText() + " reads Secret " + ref.path("name").asText()
                                + ", which nothing defines or makes");
                    }
                });
                for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                    if (c.path(probe).path("httpGet").path("path").isMissingNode()) {
                        problem(name + ": no HTTP " + probe);
                    }
                }
                if (c.path("resources").path("limits").path("memory").isMissingNode()) {
                    problem(name + ": no memory limit");
                }
            }
        }
    }

    private void checkEnvName(String where, String env, Set<String> ferryEnv) {
        if (IMAGE_ENV.contains(env)) {
            return;
        }
        if (env.startsWith("FERRY_")) {
            if (!ferryEnv.contains(env)) {
                problem(where + ": " + env + " is not a Ferry setting (known: " + ferryEnv + ")");
            }
        } else if (env.startsWith("KAFKA_")) {
            String key = env.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
            Predicate<String> known = k -> ProducerConfig.configNames().contains(k)
                    || ConsumerConfig.configNames().contains(k) || AdminClientConfig.configNames().contains(k);
            if (!known.test(key)) {
                problem(where + ": " + env + " is not a Kafka client setting (" + key + ")");
            }
        } else {
            problem(where + ": " + env + " is read by nothing in Ferry");
        }
    }

    private Set<String> namesOf(String kind) {
        Set<String> names = new HashSet<>();
        docs.stream().filter(d -> kind.equals(d.path("kind").asText()))
                .forEach(d -> names.add(d.path("metadata").path("name").asText()));
        return names;
    }

    private void problem(String p) {
        problems.add(p);
    }

    static Map<String, String> envOf(JsonNode workload) {
        Map<String, String> env = new HashMap<>();
        workload.path("spec").path("template").path("spec").path("containers").get(0).path("env")
                .forEach(e -> env.put(e.path("name").asText(), e.path("value").asText(null)));
        return env;
    }
}
