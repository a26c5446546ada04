// Validates every built-in Kubernetes object in a multi-document YAML file against the Kubernetes JSON schemas
// (kubernetes-models), offline. Custom resources (Strimzi's kafka.strimzi.io) are checked on the Java side with
// Strimzi's own API model. Prints one line per object; exits 1 if any object is invalid, 2 on unusable input.
// Usage: node validate.mjs FILE.yaml
import { readFileSync } from "node:fs";
import yaml from "js-yaml";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs FILE.yaml");
  process.exit(2);
}

let invalid = 0;
for (const doc of yaml.loadAll(readFileSync(file, "utf8"))) {
  if (!doc) continue;
  const { apiVersion, kind } = doc;
  const name = `${kind}/${doc.metadata?.name}`;
  if (!apiVersion || !kind) {
    console.log(`INVALID ${name}: no apiVersion or kind`);
    invalid++;
    continue;
  }
  if (apiVersion.includes(".") && !apiVersion.includes("k8s.io")) {
    console.log(`SKIPPED ${name} (${apiVersion}: a custom resource)`);
    continue;
  }
  let models;
  try {
    models = await import(`kubernetes-models/${apiVersion}`);
  } catch (e) {
    console.log(`INVALID ${name}: no Kubernetes schema for apiVersion ${apiVersion}`);
    invalid++;
    continue;
  }
  const Model = models[kind];
  if (!Model) {
    console.log(`INVALID ${name}: ${apiVersion} has no kind ${kind}`);
    invalid++;
    continue;
  }
  try {
    new Model(doc).validate();
    console.log(`VALID ${name}`);
  } catch (e) {
    const details = (e.errors || []).map((err) => `${err.instancePath || "/"} ${err.message}`).join("; ");
    console.log(`INVALID ${name}: ${details || e.message}`);
    invalid++;
  }
}
process.exit(invalid > 0 ? 1 : 0);
