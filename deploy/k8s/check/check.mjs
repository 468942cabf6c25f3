// node check.mjs rendered.yaml — validates each object with kubernetes-models' schemas, then walks it against the
// models' type declarations, because those schemas accept fields they do not know (a misspelt "livenesProbe" passes).
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseAllDocuments } from "yaml";

const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve("kubernetes-models/package.json"));
const models = {
  "apps/v1/Deployment": "apps/v1/Deployment",
  "v1/Service": "v1/Service",
  "v1/PersistentVolumeClaim": "v1/PersistentVolumeClaim",
  "v1/Secret": "v1/Secret",
  "v1/ConfigMap": "v1/ConfigMap",
  "policy/v1/PodDisruptionBudget": "policy/v1/PodDisruptionBudget",
  "autoscaling/v2/HorizontalPodAutoscaler": "autoscaling/v2/HorizontalPodAutoscaler",
  "batch/v1/CronJob": "batch/v1/CronJob",
  "batch/v1/Job": "batch/v1/Job",
};

const interfaces = new Map();

/** The properties of the first interface declared in a .d.ts file, with the file each property's type comes from. */
function readInterface(file) {
  if (interfaces.has(file)) return interfaces.get(file);
  // Map types span lines in the declarations: "labels"?: {\n [key: string]: string;\n };
  const text = readFileSync(file, "utf8").replace(/\{\s*\[key: string\]: ([^;]+);\s*\}/g, "{ [key: string]: $1 }");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports.set(m[1], m[2]);
  const body = text.slice(text.indexOf("export interface"));
  const end = body.indexOf("\n}");
  const properties = new Map();
  for (const m of body.slice(0, end).matchAll(/^\s+"([^"]+)"\??: (.+);$/gm)) {
    let type = m[2].trim();
    let map = false;
    const array = type.match(/^Array<(.+)>$/);
    if (array) type = array[1];
    const dict = type.match(/^\{ \[key: string\]: (.+) \}$/);
    if (dict) { type = dict[1].trim(); map = true; }
    properties.set(m[1], { type, map, from: imports.get(type) ? resolveImport(file, imports.get(type)) : null });
  }
  const entry = { properties };
  interfaces.set(file, entry);
  return entry;
}

function resolveImport(file, spec) {
  if (spec.startsWith(".")) {
    const local = path.resolve(path.dirname(file), spec.replace(/\.js$/, ".d.ts"));
    return existsSync(local) ? local : null;
  }
  // Package exports hide the declaration files from require.resolve; look them up in node_modules directly.
  const parts = spec.split("/");
  const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  const rest = parts.slice(spec.startsWith("@") ? 2 : 1).join("/");
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name, rest.replace(/\.js$/, "") + ".d.ts");
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function walk(value, file, at, problems) {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) { value.forEach((v, i) => walk(v, file, `${at}[${i}]`, problems)); return; }
  const { properties } = readInterface(file);
  for (const [key, child] of Object.entries(value)) {
    const property = properties.get(key);
    if (!property) { problems.push(`${at}.${key}: unknown field`); continue; }
    if (!property.from) continue;
    if (property.map) { for (const [k, v] of Object.entries(child ?? {})) walk(v, property.from, `${at}.${key}.${k}`, problems); }
    else walk(child, property.from, `${at}.${key}`, problems);
  }
}

let failed = false;
for (const doc of parseAllDocuments(readFileSync(process.argv[2], "utf8"))) {
  const object = doc.toJSON();
  if (!object) continue;
  const id = `${object.apiVersion}/${object.kind}`;
  const model = models[id];
  if (!model) { console.error(`${id} ${object.metadata?.name}: no model to check it with`); failed = true; continue; }
  const { [object.kind]: Model } = await import(`kubernetes-models/${model}`);
  try {
    new Model(object).validate();
  } catch (e) {
    console.error(`${id} ${object.metadata?.name}: ${e.message}`);
    failed = true;
    continue;
  }
  const problems = [];
  walk(object, path.join(root, `${model}.d.ts`), object.kind, problems);
  for (const p of problems) console.error(`${id} ${object.metadata?.name}: ${p}`);
  failed ||= problems.length > 0;
  if (problems.length === 0) console.log(`valid: ${id} ${object.metadata.name}`);
}
process.exit(failed ? 1 : 0);
