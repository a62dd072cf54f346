// What ajv (the most used JSON Schema validator) and quicktype make of the generated schemas.
// Usage: node check.mjs <directory with schemas/ and examples/>; exits non-zero on a failure.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = process.argv[2];
const here = path.dirname(fileURLToPath(import.meta.url));
const read = (file) => JSON.parse(fs.readFileSync(path.join(root, file), "utf8"));
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures++;
};

// Default options (strict mode) plus ajv-formats; anything ajv logs is a failure.
const logged = [];
const logger = { log: (...a) => logged.push(a.join(" ")), warn: (...a) => logged.push(a.join(" ")), error: (...a) => logged.push(a.join(" ")) };
const ajv = (options = {}) => {
  const instance = new Ajv2020({ logger, ...options });
  addFormats(instance);
  return instance;
};

const eventFiles = fs.readdirSync(path.join(root, "schemas/events")).sort();
const stream = read("schemas/telemetry.schema.json");
const logLine = read("schemas/log-line.schema.json");
const strict = ajv();
const own = new Map();
for (const file of eventFiles) {
  const schema = read(`schemas/events/${file}`);
  own.set(file.replace(".schema.json", ""), strict.compile(schema));
}
const streamValidate = strict.compile(stream);
const logValidate = strict.compile(logLine);
check(logged.length === 0, `${eventFiles.length + 2} schemas compile in strict mode, nothing logged ${JSON.stringify(logged)}`);
// Every file added under its $id first, in any order, then each compiled by its $id: references
// between files resolve by $id, whatever the base.
const registry = ajv();
const files = [logLine, ...eventFiles.map((file) => read(`schemas/events/${file}`)), stream];
for (const schema of files) registry.addSchema(schema);
check(files.every((schema) => typeof registry.getSchema(schema.$id) === "function") && logged.length === 0,
  `every schema loads by its $id (${stream.$id.replace("telemetry.schema.json", "")}...)`);

let examples = 0;
for (const file of fs.readdirSync(path.join(root, "examples")).sort()) {
  const payloads = [read(`examples/${file}`)].flat();
  for (const payload of payloads) {
    const key = file.replace(".json", "");
    const valid = own.get(key)(payload) && streamValidate(payload) && logValidate(payload);
    check(valid, `example ${key} is valid for its schema, the stream's and the log line's`);
    examples++;
  }
}
check(examples >= eventFiles.length, `${examples} examples checked`);
const diagnostic = { diagnostic: "delivery", message: "x", ts: 1, executionID: "2f75d020-684e-4224-9013-35e95e1b7721" };
check(logValidate(diagnostic) && !logValidate({ ...diagnostic, diagnostic: "gossip" }), "the log-line schema takes diagnostics, and only known kinds");

// With allErrors, as a collector reporting everything would run it.
const all = ajv({ allErrors: true });
all.addSchema(stream);
const validate = all.getSchema(stream.$id);
const started = read("examples/BuildStarted.v2.json");
const errorsOf = (mutate) => {
  const payload = structuredClone(started);
  mutate(payload);
  validate(payload);
  return validate.errors ?? [];
};
// ajv adds one "must match then schema" error for the condition that selected the version.
const substantive = (errors) => errors.filter((error) => error.keyword !== "if");
const wrongField = errorsOf((p) => (p.eventData.imagesCount = "three"));
check(wrongField.length <= 3 && substantive(wrongField).length === 1 && substantive(wrongField)[0].instancePath === "/eventData/imagesCount",
  `one wrong field: ${wrongField.length} errors, one at the field ${JSON.stringify(wrongField.map((e) => [e.instancePath, e.message]))}`);
const unknownType = errorsOf((p) => (p.eventType = "Nope"));
check(unknownType.length === 1 && unknownType[0].instancePath === "/eventType", `unknown eventType: one error ${JSON.stringify(unknownType.map((e) => e.message))}`);
const unknownVersion = errorsOf((p) => (p.schemaVersion = 9));
check(substantive(unknownVersion).length === 1 && substantive(unknownVersion)[0].params.allowedValues?.includes(2),
  `unknown schemaVersion: one error naming the known versions ${JSON.stringify(unknownVersion.map((e) => [e.instancePath, e.message]))}`);
for (const [what, mutate] of [
  ["imagesCount = 2^32", (p) => (p.eventData.imagesCount = 4294967296)],
  ["ts = 2^64", (p) => (p.ts = 18446744073709551616)],
  ["ts = 2^53", (p) => (p.ts = 9007199254740992)],
]) {
  check(errorsOf(mutate).length > 0, `${what} is rejected`);
}
const exited = read("examples/CommandExited.v2.json");
exited.eventData.exitCode = 2147483648;
check(!validate(exited), "exitCode = 2^31 is rejected");

// quicktype names types after their titles.
const out = fs.mkdtempSync(path.join(os.tmpdir(), "quicktype-"));
const quicktype = path.join(here, "node_modules/.bin/quicktype");
const typescript = path.join(out, "started.ts");
execFileSync(quicktype, ["--lang", "ts", "--src-lang", "schema", "-o", typescript, path.join(root, "schemas/events/CommandStarted.v2.schema.json")]);
const generated = fs.readFileSync(typescript, "utf8");
check(/export interface CommandOption \{/.test(generated), "quicktype's TypeScript names CommandOption CommandOption");
const versions = Object.keys(stream.$defs).filter((name) => /V\d+$/.test(name));
const sources = versions.map((name) => `${path.join(root, "schemas/telemetry.schema.json")}#/$defs/${name}`);
const union = path.join(out, "events.ts");
execFileSync(quicktype, ["--lang", "ts", "--src-lang", "schema", "-o", union, ...sources]);
const events = fs.readFileSync(union, "utf8");
check(versions.every((name) => events.includes(`export interface ${name} {`)), `quicktype makes one interface per event version: ${versions.join(", ")}`);
check(/export interface CommandOption \{/.test(events) && /export interface Attributes \{/.test(events), "the versions' types keep their names in the stream schema");

process.exit(failures === 0 ? 0 : 1);
