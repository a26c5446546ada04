package dev.ferry.kubernetes;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The rules of Kubernetes' restricted Pod Security Standard (baseline included), as the admission controller applies
 * them to a pod template, plus what Ferry adds on top (read-only root file system, no service-account token, CPU and
 * memory requests and limits). Each broken rule is a sentence naming the workload and the field.
 */
final class RestrictedProfile {

    /** The volume types the restricted profile allows. */
    static final Set<String> VOLUME_TYPES = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
            "persistentVolumeClaim", "projected", "secret");

    private RestrictedProfile() {
    }

    static List<String> violations(JsonNode workload) {
        String name = workload.path("kind").asText() + " " + workload.path("metadata").path("name").asText();
        JsonNode pod = workload.path("spec").path("template").path("spec");
        List<String> problems = new ArrayList<>();
        for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (pod.path(host).asBoolean(false)) {
                problems.add(name + ": " + host + " is true");
            }
        }
        pod.path("volumes").forEach(v -> v.fieldNames().forEachRemaining(field -> {
            if (!field.equals("name") && !VOLUME_TYPES.contains(field)) {
                problems.add(name + ": volume " + v.path("name").asText() + " is of type " + field);
            }
        }));
        JsonNode podContext = pod.path("securityContext");
        if (pod.path("automountServiceAccountToken").asBoolean(true)) {
            problems.add(name + ": automountServiceAccountToken is not false");
        }
        List<JsonNode> containers = new ArrayList<>();
        pod.path("initContainers").forEach(containers::add);
        pod.path("containers").forEach(containers::add);
        for (JsonNode c : containers) {
            String where = name + " container " + c.path("name").asText();
            JsonNode context = c.path("securityContext");
            if (context.path("privileged").asBoolean(false)) {
                problems.add(where + ": privileged");
            }
            if (context.path("allowPrivilegeEscalation").asBoolean(true)) {
                problems.add(where + ": allowPrivilegeEscalation is not false");
            }
            boolean dropsAll = false;
            for (JsonNode d : context.path("capabilities").path("drop")) {
                dropsAll |= d.asText().equals("ALL");
            }
            if (!dropsAll) {
                problems.add(where + ": capabilities do not drop ALL");
            }
            context.path("capabilities").path("add").forEach(a -> {
                if (!a.asText().equals("NET_BIND_SERVICE")) {
                    problems.add(where + ": adds capability " + a.asText());
                }
            });
            if (!context.path("runAsNonRoot").asBoolean(podContext.path("runAsNonRoot").asBoolean(false))) {
                problems.add(where + ": runAsNonRoot is not true");
            }
            if (context.path("runAsUser").asInt(podContext.path("runAsUser").asInt(-1)) == 0) {
                problems.add(where + ": runs as user 0");
            }
            String seccomp = context.path("seccompProfile").path("type")
                    .asText(podContext.path("seccompProfile").path("type").asText(""));
            if (!seccomp.equals("RuntimeDefault") && !seccomp.equals("Localhost")) {
                problems.add(where + ": seccompProfile is not RuntimeDefault or Localhost");
            }
            c.path("ports").forEach(p -> {
                if (p.has("hostPort")) {
                    problems.add(where + ": hostPort " + p.path("hostPort").asText());
                }
            });
            // Ferry's own rules on top.
            if (!context.path("readOnlyRootFilesystem").asBoolean(false)) {
                problems.add(where + ": readOnlyRootFilesystem is not true");
            }
            for (String kind : List.of("requests", "limits")) {
                for (String resource : List.of("cpu", "memory")) {
                    if (c.path("resources").path(kind).path(resource).isMissingNode()) {
                        problems.add(where + ": no " + resource + " " + kind);
                    }
                }
            }
        }
        return problems;
    }
}
