package dev.ferry.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import io.strimzi.api.kafka.model.user.KafkaUserAuthorizationSimple;
import io.strimzi.api.kafka.model.user.acl.AclRule;
import io.strimzi.api.kafka.model.user.acl.AclRuleGroupResource;
import io.strimzi.api.kafka.model.user.acl.AclRuleTopicResource;

import dev.ferry.chunk.ChunkCompression;
import dev.ferry.chunk.WireFormat;
import dev.ferry.config.FerryConfig.SourcePolicy;
import dev.ferry.route.Route;
import dev.ferry.route.Routes;
import dev.ferry.route.RoutesFile;
import dev.ferry.testing.FerryProcess;
import dev.ferry.testing.KafkaBroker;

/**
 * The manifests {@code ./mvnw package} generates, rendered the way a user applies them ({@code kubectl kustomize
 * kubernetes/}), checked offline: Kubernetes schemas (npm kubernetes-models), references and shape
 * ({@link ManifestChecks}), the Strimzi objects with Strimzi's own API model, and the probe paths against the packaged
 * app.
 */
class KubernetesManifestsIT {

    static final Path PROJECT = Path.of("").toAbsolutePath();
    static final Path KUBERNETES = PROJECT.resolve("kubernetes");
    static final ObjectMapper YAML = new YAMLMapper();

    static Path renderedFile;
    static List<JsonNode> rendered;

    @BeforeAll
    static void render() throws Exception {
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not installed, so kubernetes/ cannot be rendered here: "
                + "install kubectl 1.21 or newer (it embeds kustomize; see https://kubernetes.io/docs/tasks/tools/)");
        Path work = Files.createDirectories(PROJECT.resolve("target/k8s-validate"));
        renderedFile = work.resolve("rendered.yaml");
        Result r = run(work, "kubectl", "kustomize", KUBERNETES.toString());
        assertThat(r.exit).as("kubectl kustomize kubernetes/ failed:\n" + r.output).isZero();
        Files.writeString(renderedFile, r.output);
        rendered = readAll(r.output);
    }

    @Test
    void oneBuildGeneratesBothRolesEachWithOnlyItsOwnWorkload() throws IOException {
        List<JsonNode> producer = readAll(Files.readString(KUBERNETES.resolve("generated/producer/kubernetes.yml")));
        List<JsonNode> consumer = readAll(Files.readString(KUBERNETES.resolve("generated/consumer/kubernetes.yml")));
        assertThat(kinds(producer)).contains("Deployment").doesNotContain("StatefulSet");
        assertThat(kinds(consumer)).contains("StatefulSet").doesNotContain("Deployment");
        assertThat(ManifestChecks.envOf(ManifestChecks.find(producer, "Deployment", "ferry-producer").orElseThrow()))
                .containsEntry("QUARKUS_PROFILE", "producer");
        assertThat(ManifestChecks.envOf(ManifestChecks.find(consumer, "StatefulSet", "ferry-consumer").orElseThrow()))
                .containsEntry("QUARKUS_PROFILE", "consumer");
    }

    @Test
    void renderedObjectsPassTheKubernetesSchemas() throws Exception {
        Result r = validate(renderedFile);
        assertThat(r.exit).as(r.output).isZero();
        assertThat(r.output).contains("VALID Deployment/ferry-producer", "VALID StatefulSet/ferry-consumer",
                "VALID ConfigMap/ferry-config", "VALID PersistentVolumeClaim/ferry-outbox");
    }

    @Test
    void schemaValidationRejectsAWrongType() throws Exception {
        Path broken = renderedFile.resolveSibling("broken.yaml");
        Files.writeString(broken, Files.readString(renderedFile).replace("replicas: 1", "replicas: one"));
        Result r = validate(broken);
        assertThat(r.exit).as(r.output).isEqualTo(1);
        assertThat(r.output).contains("INVALID Deployment/ferry-producer: /spec/replicas must be integer");
    }

    @Test
    void referencesEnvironmentAndShapeHold() {
        assertThat(ManifestChecks.problems(rendered, strimziSecrets())).isEmpty();

        JsonNode producer = ManifestChecks.find(rendered, "Deployment", "ferry-producer").orElseThrow();
        assertThat(producer.path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(producer.path("spec").path("strategy").path("type").asText()).isEqualTo("Recreate");

        JsonNode consumer = ManifestChecks.find(rendered, "StatefulSet", "ferry-consumer").orElseThrow();
        assertThat(consumer.path("spec").path("volumeClaimTemplates").findValuesAsText("name")).contains("state");
        assertThat(ManifestChecks.envOf(consumer)).containsEntry("FERRY_STATE_DIR", "/var/lib/ferry/state");
        // A graceful stop took 7.5 s with a 1 GiB file in flight (docs/fault-results.md); the grace period must
        // leave it room, or Kubernetes kills the consumer in the middle of syncing staged data.
        assertThat(consumer.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asInt())
                .isGreaterThanOrEqualTo(30);
        assertThat(producer.path("spec").path("template").path("spec").path("terminationGracePeriodSeconds").asInt())
                .isGreaterThanOrEqualTo(15);
        // Signatures required: each role signs with its own key, from a Secret only the pod's group can read.
        for (JsonNode workload : List.of(producer, consumer)) {
            assertThat(ManifestChecks.envOf(workload))
                    .containsEntry("FERRY_SIGNING_KEY", "/etc/ferry/signing/signing.key")
                    .containsEntry("FERRY_TRUSTED_KEYS", "/etc/ferry/trusted");
            JsonNode volumes = workload.path("spec").path("template").path("spec").path("volumes");
            assertThat(volumes.findValues("secret")).anySatisfy(s -> {
                assertThat(s.path("secretName").asText()).endsWith("-signing-key");
                assertThat(s.path("defaultMode").asInt()).isEqualTo(0440);
            }).anySatisfy(s -> assertThat(s.path("secretName").asText()).isEqualTo("ferry-trusted-keys"));
            // Locked by default (docs/access.md): users from a Secret, sessions sealed with a shared key, HTTPS only,
            // probes over HTTPS.
            assertThat(ManifestChecks.envOf(workload))
                    .containsEntry("FERRY_HTTP_USERS_FILE", "/etc/ferry/users/users.txt")
                    .containsEntry("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled")
                    .containsEntry("QUARKUS_HTTP_SSL_CERTIFICATE_FILES", "/etc/ferry/http-tls/tls.crt")
                    .containsEntry("QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES", "/etc/ferry/http-tls/tls.key")
                    .containsKey("QUARKUS_HTTP_AUTH_SESSION_ENCRYPTION_KEY");
            assertThat(volumes.findValues("secret")).anySatisfy(s -> {
                assertThat(s.path("secretName").asText()).isEqualTo("ferry-users");
                assertThat(s.path("defaultMode").asInt()).isEqualTo(0440);
            }).anySatisfy(s -> assertThat(s.path("secretName").asText()).isEqualTo("ferry-http-tls"));
            JsonNode container = workload.path("spec").path("template").path("spec").path("containers").get(0);
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                assertThat(container.path(probe).path("httpGet").path("scheme").asText()).as(probe).isEqualTo("HTTPS");
                assertThat(container.path(probe).path("httpGet").path("port").asText()).as(probe).isIn("https", "8443");
            }
        }
    }

    @Test
    void everyWorkloadPassesTheRestrictedPodSecurityStandardInARestrictedNamespace() {
        List<JsonNode> workloads = rendered.stream()
                .filter(d -> Set.of("Deployment", "StatefulSet").contains(d.path("kind").asText())
                        && d.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText().equals("ferry"))
                .toList();
        assertThat(workloads).hasSize(2);
        for (JsonNode w : workloads) {
            assertThat(RestrictedProfile.violations(w)).as(w.path("metadata").path("name").asText()).isEmpty();
            assertThat(w.path("metadata").path("namespace").asText()).isEqualTo("ferry");
            JsonNode container = w.path("spec").path("template").path("spec").path("containers").get(0);
            assertThat(container.path("volumeMounts").findValuesAsText("mountPath")).as("a writable /tmp")
                    .contains("/tmp");
        }
        JsonNode namespace = ManifestChecks.find(rendered, "Namespace", "ferry").orElseThrow();
        assertThat(namespace.path("metadata").path("labels").path("pod-security.kubernetes.io/enforce").asText())
                .isEqualTo("restricted");
        // The checker can fail: a pod that runs as root with privileges breaks several rules.
        ObjectNode bad = workloads.get(0).deepCopy();
        ObjectNode pod = (ObjectNode) bad.path("spec").path("template").path("spec");
        pod.put("hostNetwork", true).put("automountServiceAccountToken", true);
        ObjectNode context = (ObjectNode) pod.path("containers").get(0).path("securityContext");
        context.put("privileged", true).put("allowPrivilegeEscalation", true).put("runAsUser", 0);
        assertThat(RestrictedProfile.violations(bad)).hasSizeGreaterThanOrEqualTo(5);

        JsonNode budget = ManifestChecks.find(rendered, "PodDisruptionBudget", "ferry-consumer").orElseThrow();
        assertThat(budget.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
        JsonNode policy = ManifestChecks.find(rendered, "NetworkPolicy", "ferry").orElseThrow();
        assertThat(policy.path("spec").path("policyTypes").toString()).contains("Ingress").contains("Egress");
        assertThat(policy.path("spec").path("ingress").get(0).path("ports").get(0).path("port").asInt())
                .isEqualTo(8443);
        assertThat(policy.path("spec").path("egress").findValuesAsText("port")).contains("9093", "53");
    }

    @Test
    void theChecksFindAMountWithoutVolumeAndAnUnknownSetting() {
        List<JsonNode> copy = new ArrayList<>();
        rendered.forEach(d -> copy.add(d.deepCopy()));
        ObjectNode consumer = (ObjectNode) ManifestChecks.find(copy, "StatefulSet", "ferry-consumer").orElseThrow();
        ((ObjectNode) consumer.path("spec")).remove("volumeClaimTemplates");
        ArrayNode env = (ArrayNode) consumer.path("spec").path("template").path("spec").path("containers").get(0)
                .path("env");
        env.addObject().put("name", "FERRY_CHUNKSIZE").put("value", "1M");

        assertThat(ManifestChecks.problems(copy, strimziSecrets()))
                .anySatisfy(
                        p -> assertThat(p).contains("mount /var/lib/ferry/state names volume state, which is neither"))
                .anySatisfy(p -> assertThat(p).contains("FERRY_CHUNKSIZE is not a Ferry setting"));
    }

    @Test
    void strimziObjectsParseWithStrimzisModelAndMatchFerrysSettings() throws Exception {
        Map<String, String> config = configMap();
        Kafka kafka = strimzi("Kafka", Kafka.class).get(0);
        KafkaNodePool pool = strimzi("KafkaNodePool", KafkaNodePool.class).get(0);
        List<KafkaTopic> topics = strimzi("KafkaTopic", KafkaTopic.class);
        List<KafkaUser> users = strimzi("KafkaUser", KafkaUser.class);

        assertThat(pool.getSpec().getReplicas()).isGreaterThanOrEqualTo(3);
        assertThat(pool.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", kafka.getMetadata().getName());
        GenericKafkaListener tls = kafka.getSpec().getKafka().getListeners().stream()
                .filter(GenericKafkaListener::isTls).findFirst().orElseThrow();
        assertThat(config.get("KAFKA_BOOTSTRAP_SERVERS"))
                .isEqualTo(kafka.getMetadata().getName() + "-kafka-bootstrap:" + tls.getPort());
        assertThat(tls.getAuth().getType()).isEqualTo("tls");

        int chunkSize = new MemorySizeConverter().convert(config.get("FERRY_CHUNK_SIZE")).asBigInteger()
                .intValueExact();
        int maxRecord = WireFormat.maxRecordBytes(chunkSize);
        assertThat(((Number) kafka.getSpec().getKafka().getConfig().get("message.max.bytes")).intValue())
                .isGreaterThanOrEqualTo(maxRecord);

        String topic = config.get("FERRY_TOPIC");
        assertThat(config.get("FERRY_CREATE_TOPICS")).isEqualTo("false");
        assertThat(topics).extracting(t -> t.getMetadata().getName()).contains(topic, topic + "-dlq",
                topic + "-receipts");
        for (KafkaTopic t : topics) {
            assertThat(t.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", kafka.getMetadata().getName());
            assertThat(t.getSpec().getReplicas()).as(t.getMetadata().getName()).isEqualTo(3);
            assertThat(t.getSpec().getConfig()).as(t.getMetadata().getName()).containsEntry("min.insync.replicas", 2);
        }
        KafkaTopic chunks = topics.stream().filter(t -> t.getMetadata().getName().equals(topic)).findFirst()
                .orElseThrow();
        assertThat(((Number) chunks.getSpec().getConfig().get("max.message.bytes")).intValue())
                .as("the chunk topic must take a record of FERRY_CHUNK_SIZE").isGreaterThanOrEqualTo(maxRecord);
        KafkaTopic receipts = topics.stream().filter(t -> t.getMetadata().getName().equals(topic + "-receipts"))
                .findFirst().orElseThrow();
        assertThat(receipts.getSpec().getPartitions()).isEqualTo(1);
        assertThat((String) receipts.getSpec().getConfig().get("cleanup.policy")).contains("compact");

        // One user per role (KafkaAclIT runs Ferry with exactly these rules against a broker with an authorizer).
        assertThat(users).extracting(u -> u.getMetadata().getName()).containsExactlyInAnyOrder("ferry-producer",
                "ferry-consumer");
        for (KafkaUser user : users) {
            assertThat(user.getSpec().getAuthentication().getType()).isEqualTo("tls");
            List<AclRule> acls = ((KafkaUserAuthorizationSimple) user.getSpec().getAuthorization()).getAcls();
            assertThat(acls).anySatisfy(a -> {
                assertThat(a.getResource()).isInstanceOf(AclRuleTopicResource.class);
                assertThat(topic).startsWith(((AclRuleTopicResource) a.getResource()).getName());
            });
        }
        KafkaUser consumerUser = users.stream().filter(u -> u.getMetadata().getName().equals("ferry-consumer"))
                .findFirst().orElseThrow();
        assertThat(((KafkaUserAuthorizationSimple) consumerUser.getSpec().getAuthorization()).getAcls())
                .anySatisfy(a -> {
                    assertThat(a.getResource()).isInstanceOf(AclRuleGroupResource.class);
                    assertThat(config.get("FERRY_GROUP_ID"))
                            .startsWith(((AclRuleGroupResource) a.getResource()).getName());
                });

        for (Object o : List.of(kafka, pool)) {
            assertThat(unknownFields(o, "")).as("fields Strimzi's model does not know").isEmpty();
        }
        for (Object o : users) {
            assertThat(unknownFields(o, "")).as("fields Strimzi's model does not know").isEmpty();
        }
        topics.forEach(t -> assertThat(unknownFields(t, "")).isEmpty());
    }

    @Test
    void theRoutesConfigMapIsValidAndFitsTheVolumesAndTopics() throws Exception {
        Map<String, String> config = configMap();
        JsonNode routesMap = ManifestChecks.find(rendered, "ConfigMap", "ferry-routes").orElseThrow();
        int chunkSize = new MemorySizeConverter().convert(config.get("FERRY_CHUNK_SIZE")).asBigInteger()
                .intValueExact();
        String topic = config.get("FERRY_TOPIC");
        Routes routes = RoutesFile.parse(routesMap.path("data").path("routes.yaml").asText(), "ferry-routes",
                new RoutesFile.Defaults(topic, List.of("**"), List.of(".*"), chunkSize, SourcePolicy.KEEP,
                        Optional.empty(), ChunkCompression.NONE, Optional.empty(),
                        Set.of(topic + "-dlq", topic + "-receipts"), true, true,
                        Pattern.compile(Pattern.quote(topic) + "(\\..+)?")));
        assertThat(routes.all()).isNotEmpty();

        JsonNode producer = ManifestChecks.find(rendered, "Deployment", "ferry-producer").orElseThrow();
        JsonNode consumer = ManifestChecks.find(rendered, "StatefulSet", "ferry-consumer").orElseThrow();
        String inbox = mountPath(producer, "inbox");
        String outbox = mountPath(consumer, "outbox");
        for (JsonNode workload : List.of(producer, consumer)) {
            JsonNode mount = mount(workload, "routes");
            assertThat(mount.has("subPath")).as("a subPath mount never sees ConfigMap updates").isFalse();
            assertThat(ManifestChecks.envOf(workload).get("FERRY_ROUTES_FILE"))
                    .startsWith(mount.path("mountPath").asText() + "/");
        }
        List<KafkaTopic> topics = strimzi("KafkaTopic", KafkaTopic.class);
        for (Route r : routes.all()) {
            assertThat(r.inbox().orElseThrow().toString()).as(r.name()).startsWith(inbox + "/");
            assertThat(r.outbox().orElseThrow().toString()).as(r.name()).startsWith(outbox + "/");
            KafkaTopic t = topics.stream().filter(k -> k.getMetadata().getName().equals(r.topic())).findFirst()
                    .orElseThrow(() -> new AssertionError("no KafkaTopic for route " + r.name() + ": " + r.topic()));
            assertThat(((Number) t.getSpec().getConfig().get("max.message.bytes")).intValue()).as(r.topic())
                    .isGreaterThanOrEqualTo(
                            Math.max(WireFormat.maxRecordBytes(r.chunkSize()), WireFormat.maxRecordBytes(chunkSize)));
        }
    }

    private static JsonNode mount(JsonNode workload, String volume) {
        for (JsonNode m : workload.path("spec").path("template").path("spec").path("containers").get(0)
                .path("volumeMounts")) {
            if (m.path("name").asText().equals(volume)) {
                return m;
            }
        }
        throw new AssertionError("no mount of volume " + volume);
    }

    private static String mountPath(JsonNode workload, String volume) {
        return mount(workload, volume).path("mountPath").asText();
    }

    @Test
    void probePathsAnswerInThePackagedApp() throws Exception {
        JsonNode consumer = ManifestChecks.find(rendered, "StatefulSet", "ferry-consumer").orElseThrow();
        JsonNode container = consumer.path("spec").path("template").path("spec").path("containers").get(0);
        Path dir = Files.createTempDirectory("ferry-probes");
        try (KafkaBroker broker = KafkaBroker.start();
                FerryProcess app = FerryProcess.start("consumer",
                        Map.of("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrapServers(), "FERRY_OUTBOX",
                                dir.resolve("out").toString(), "FERRY_STATE_DIR", dir.resolve("state").toString(),
                                "FERRY_GROUP_ID", "probes", "FERRY_REPLICATION_FACTOR", "1",
                                "FERRY_MIN_INSYNC_REPLICAS", "1"),
                        PROJECT.resolve("target/k8s-validate/probes.log"))) {
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                String path = container.path(probe).path("httpGet").path("path").asText();
                await(probe + " " + path).atMost(Duration.ofSeconds(60)).until(() -> app.get(path) == 200);
            }
        }
    }

    private static Map<String, String> configMap() {
        JsonNode cm = ManifestChecks.find(rendered, "ConfigMap", "ferry-config").orElseThrow();
        return YAML.convertValue(cm.path("data"),
                YAML.getTypeFactory().constructMapType(Map.class, String.class, String.class));
    }

    /**
     * Secrets no manifest defines: Strimzi's (one per KafkaUser, the cluster CA certificate of each Kafka), and the
     * session key the user makes (docs/kubernetes.md).
     */
    private static Set<String> strimziSecrets() {
        Set<String> secrets = new HashSet<>(Set.of("ferry-session"));
        rendered.stream().filter(d -> d.path("kind").asText().equals("KafkaUser"))
                .forEach(d -> secrets.add(d.path("metadata").path("name").asText()));
        rendered.stream().filter(d -> d.path("kind").asText().equals("Kafka"))
                .forEach(d -> secrets.add(d.path("metadata").path("name").asText() + "-cluster-ca-cert"));
        return secrets;
    }

    private static <T> List<T> strimzi(String kind, Class<T> type) throws IOException {
        List<T> objects = new ArrayList<>();
        for (JsonNode d : rendered) {
            if (d.path("kind").asText().equals(kind)) {
                assertThat(d.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1beta2");
                objects.add(YAML.treeToValue(d, type));
            }
        }
        assertThat(objects).as(kind).isNotEmpty();
        return objects;
    }

    /** Strimzi's model keeps fields it does not know in additionalProperties instead of failing: look there. */
    private static List<String> unknownFields(Object o, String path) {
        List<String> unknown = new ArrayList<>();
        if (o == null || !o.getClass().getName().startsWith("io.strimzi")) {
            if (o instanceof Collection<?> c) {
                c.forEach(e -> unknown.addAll(unknownFields(e, path + "[]")));
            }
            return unknown;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getDeclaringClass() == Object.class) {
                continue;
            }
            try {
                Object value = m.invoke(o);
                if (m.getName().equals("getAdditionalProperties")) {
                    if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        unknown.add(path + ": " + extra.keySet());
                    }
                } else {
                    unknown.addAll(unknownFields(value, path + "." + m.getName().substring(3)));
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return unknown;
    }

    private static Result validate(Path yaml) throws Exception {
        Assumptions.assumeTrue(onPath("npm") && onPath("node"), "Node.js and npm are not installed, so the schema "
                + "check cannot run: install them (Debian: apt-get install nodejs npm)");
        Path work = PROJECT.resolve("target/k8s-validate");
        Path source = PROJECT.resolve("src/test/kubernetes");
        for (String f : List.of("package.json", "package-lock.json", "validate.mjs")) {
            Files.copy(source.resolve(f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(work.resolve("node_modules/kubernetes-models"))) {
            Result install = run(work, "npm", "ci", "--no-audit", "--no-fund");
            assertThat(install.exit).as("npm ci failed:\n" + install.output).isZero();
        }
        return run(work, "node", "validate.mjs", yaml.toString());
    }

    private static List<JsonNode> readAll(String yaml) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(yaml)) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(d -> {
                if (d != null && !d.isNull() && !d.isMissingNode()) {
                    docs.add(d);
                }
            });
        }
        return docs;
    }

    private static List<String> kinds(List<JsonNode> docs) {
        return docs.stream().map(d -> d.path("kind").asText()).toList();
    }

    record Result(int exit, String output) {
    }

    private static Result run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
