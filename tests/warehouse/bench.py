"""The warehouse's cost, measured on chdb: werf's generated tables and views against a hand-typed,
hand-tuned layout of the same rows, the exporter's own `otel_traces`, and the layout before this
one (`attributes` and `eventData` as `String`).

Usage: bench.py <repository> <events> <work folder>. Generates <events> werf events (runs of build
and converge: CommandStarted, BuildStarted, stages, images, BuildFinished, CommandExited; 1% of
runs with clocks days off), loads each layout from the same JSON lines (the generated layout and
the one before as ten day files, as their load commands take a receiver's files: the generated
one by its command's queries, the one before by one insert each; the hand-typed tables from the
same files, partitioned by the file's day) and prints, as Markdown:
load rates, on-disk sizes, and the median of 9 runs of README's queries and a p95 per stage on
each. Not run in CI (minutes, gigabytes): BENCHMARKS.md gives its figures.
"""

import itertools
import json
import pathlib
import random
import re
import sys
import time
import uuid

from chdb import session
from sqlfile import for_chdb, statements

root, total, work = pathlib.Path(sys.argv[1]), int(sys.argv[2]), pathlib.Path(sys.argv[3])
work.mkdir(parents=True, exist_ok=True)
events_file = work / f"events-{total}.jsonl"
spans_file = work / f"spans-{total}.jsonl"


def runs(total, seed=7, day_ms=1764806400000):
    """werf-shaped events, run by run."""
    rnd = random.Random(seed)
    projects = [f"{rnd.getrandbits(256):064x}" for _ in range(2000)]
    users = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(20000)]
    versions = ["2.60.2", "2.61.0", "2.62.1", "2.63.0", "dev"]
    images = ["backend", "frontend", "worker", "migrations", "nginx"]
    stages = ["from", "beforeInstall", "dependenciesBeforeInstall", "gitArchive", "install", "beforeSetup", "setup", "gitLatestPatch", "dockerInstructions"]
    count = 0
    while count < total:
        ts = day_ms + rnd.randrange(86_400_000)
        if rnd.random() < 0.01:
            ts += rnd.choice([-1, 1]) * rnd.randrange(2, 40) * 86_400_000
        ci = rnd.random() < 0.6
        attributes = {"arch": rnd.choice(["amd64", "arm64"]), "os": rnd.choice(["linux", "linux", "darwin"]), "version": rnd.choice(versions), "ci": ci}
        if ci:
            attributes["ciName"] = rnd.choice(["gitlab", "github", "jenkins"])
        attributes["extra"] = {}
        envelope = {"executionID": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "userID": rnd.choice(users), "projectID": rnd.choice(projects), "command": rnd.choice(["werf build", "werf build", "werf converge"]), "attributes": attributes}

        def event(event_type, data, offset):
            return {"ts": ts + offset, **envelope, "eventType": event_type, "eventData": data, "schemaVersion": 2}

        options = rnd.sample(["repo", "env", "dev", "platform", "parallel"], rnd.randrange(0, 3))
        out = [event("CommandStarted", {"commandOptions": [{"name": name, "asCli": True, "asEnv": False, "count": 1} for name in options]}, 0)]
        built = rnd.sample(images, rnd.randrange(1, 4))
        out.append(event("BuildStarted", {"imagesCount": len(built), "containerBackend": rnd.choice(["docker", "buildah"]), "inContainer": False}, 5))
        elapsed = 10
        for image in built:
            for stage in rnd.sample(stages, rnd.randrange(1, 4)):
                took = rnd.randrange(10, 60000)
                elapsed += took
                out.append(event("StageBuildFinished", {"image": image, "stage": stage, "durationMs": took, "fromCache": rnd.random() < 0.5, "baseImageSource": rnd.choice(["repo", "secondary", ""]), "baseImagePulled": rnd.random() < 0.3}, elapsed))
            out.append(event("ImageBuildFinished", {"image": image, "durationMs": elapsed, "rebuilt": True, "configType": "stapel"}, elapsed + 1))
        out.append(event("BuildFinished", {"durationMs": elapsed, "success": rnd.random() < 0.9, "imagesCount": len(built)}, elapsed + 2))
        out.append(event("CommandExited", {"exitCode": 0, "durationMs": elapsed + 3}, elapsed + 3))
        yield from out
        count += len(out)


if not events_file.exists():
    with events_file.open("w") as events, spans_file.open("w") as spans:
        for index, payload in enumerate(runs(total)):
            events.write(json.dumps(payload, separators=(",", ":")) + "\n")
            # The span as the exporter writes it with Map attributes: every value a string.
            attributes = {key: json.dumps(value, separators=(",", ":")) if isinstance(value, dict) else str(value) for key, value in payload.items()}
            spans.write(json.dumps({
                "Timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(payload["ts"] // 1000)) + f".{payload['ts'] % 1000:03d}",
                "TraceId": f"{random.getrandbits(128):032x}", "SpanId": f"{random.getrandbits(64):016x}",
                "SpanName": "telemetry.werf.io", "SpanKind": "Internal", "ServiceName": "unknown_service:werf",
                "ResourceAttributes": {"service.name": "unknown_service:werf", "telemetry.sdk.language": "go", "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.version": "1.24.0"},
                "ScopeName": "telemetry.werf.io", "SpanAttributes": attributes, "Duration": 0, "StatusCode": "Unset",
            }, separators=(",", ":")) + "\n")

db = session.Session(str(work / "chdb"))


def query(sql):
    return str(db.query(sql, "TSV")).strip()


def fresh(name):
    query(f"DROP DATABASE IF EXISTS {name}")
    query(f"CREATE DATABASE {name}")
    query(f"USE {name}")


def timed(sql, repeat=7):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        query(sql)
        times.append(time.perf_counter() - start)
    return sorted(times)[repeat // 2] * 1000


def size(database, tables):
    listed = ", ".join(f"'{table}'" for table in tables)
    return int(query(f"SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = '{database}' AND table IN ({listed})"))


# The envelope as a receiver's lines hold it: what the SQL's load command (`input(...)`)
# reads. The hand-typed tables read the documents as ClickHouse JSON instead, to type them.
ENVELOPE = "ts UInt64, executionID String, userID String, projectID String, command String, attributes String, eventType String, eventData String, schemaVersion UInt32"
TYPED_ENVELOPE = ENVELOPE.replace("String, eventType", "JSON, eventType").replace("eventData String", "eventData JSON")
results = {}

# The generated layout, loaded as the README loads a receiver's file (by the SQL's load command),
# and the layout before this one (attributes and eventData as String, partitioned by the client's
# day), loaded as its README loaded one (one insert): the events as ten day files (a day of
# werf's is about 300,000 events); five rounds each, alternated, so that the machine's drift falls
# on both alike.
BEFORE = ("CREATE TABLE werf_events (ts UInt64, time DateTime64(3, 'UTC') MATERIALIZED fromUnixTimestamp64Milli(toInt64(ts), 'UTC'), executionID String, userID String, "
          "projectID String, command String, attributes String, eventType LowCardinality(String), eventData String, schemaVersion UInt32) ENGINE = MergeTree "
          "PARTITION BY toDate(time) ORDER BY (eventType, schemaVersion, time)")
# The load command's calls of `clickhouse-client`, in order: each one's query and settings (its
# `--name=value` options with a plain value; the day and the source, which the shell computes, are
# given as the file's).
LOAD_LINE = (root / "schemas/clickhouse.sql").read_text().split("\n-- f=", 1)[1].split("\n", 1)[0]
LOAD_CALLS = [
    (re.search(r'--query "([^"]*)"', call).group(1), ", ".join(f"{name} = {value}" for name, value in re.findall(r" --(\w+)=(\w+)(?= )", call)))
    for call in LOAD_LINE.split(" && ")
]


def load_day(day_file):
    """Loads `day_file` by the load command's calls, its standard input read by `file(...)`."""
    for sql, settings in LOAD_CALLS:
        db.query(for_chdb(sql, day_file, settings), "TSV", params={"received": day_file.stem, "source": f"bench:{day_file}"})


days = work / f"days-{total}"
if not days.exists():
    days.mkdir()
    with events_file.open() as events:
        for day in range(10):
            # The tenth day takes the rest: the file's last run may overshoot `total`.
            lines = itertools.islice(events, total // 10) if day < 9 else events
            (days / f"2026-11-{21 + day}.jsonl").write_text("".join(lines))
day_files = sorted(days.glob("*.jsonl"))
loads = {"generated": [], "before": []}
for _ in range(5):
    fresh("generated")
    for statement in statements((root / "schemas/clickhouse.sql").read_text()):
        query(statement)
    start = time.perf_counter()
    for day_file in day_files:
        load_day(day_file)
    loads["generated"].append(time.perf_counter() - start)
    fresh("before")
    query(BEFORE)
    start = time.perf_counter()
    for day_file in day_files:
        query(f"INSERT INTO werf_events SELECT * FROM file('{day_file}', JSONEachRow, '{ENVELOPE}') SETTINGS max_partitions_per_insert_block = 0")
    loads["before"].append(time.perf_counter() - start)
for name, seconds in loads.items():
    results[f"{name} load s"] = sorted(seconds)[len(seconds) // 2]
loaded = {name: query(f"SELECT count() FROM {name}.werf_events") for name in loads}
assert loaded["generated"] == loaded["before"], f"both layouts hold every event: {loaded}"
# Sizes after merging, so that they do not depend on how far background merges got.
query("OPTIMIZE TABLE before.werf_events FINAL")
results["before bytes"] = size("before", ["werf_events"])
query("OPTIMIZE TABLE generated.werf_events FINAL")
results["generated bytes"] = size("generated", ["werf_events"])

# Hand-typed and hand-tuned: a table per event type, every field typed, UUIDs, LowCardinality,
# ZSTD, the same sort order; partitioned by the day of receipt and loaded from the same ten day
# files, as the generated table is, so that sizes and queries compare layouts, not partitionings.
fresh("hand")
COMMON = ("time DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)), executionID UUID, userID String CODEC(ZSTD(1)), projectID String CODEC(ZSTD(1)), "
          "command LowCardinality(String), version LowCardinality(String), os LowCardinality(String), arch LowCardinality(String), ci Bool, ciName LowCardinality(String)")
COMMON_READ = ("fromUnixTimestamp64Milli(toInt64(ts), 'UTC'), toUUID(executionID), userID, projectID, command, attributes.version.:String, attributes.os.:String, "
               "attributes.arch.:String, ifNull(attributes.ci.:Bool, false), ifNull(attributes.ciName.:String, '')")
HAND = {
    "command_started": ("CommandStarted", "commandOptions Array(Tuple(name String, asCli Bool, asEnv Bool, count UInt32))", "JSONExtract(toString(eventData), 'commandOptions', 'Array(Tuple(name String, asCli Bool, asEnv Bool, count UInt32))')"),
    "build_started": ("BuildStarted", "imagesCount UInt32, containerBackend LowCardinality(String), inContainer Bool", "eventData.imagesCount.:Int64, eventData.containerBackend.:String, eventData.inContainer.:Bool"),
    "stage_build_finished": ("StageBuildFinished", "image LowCardinality(String), stage LowCardinality(String), durationMs UInt64 CODEC(T64, ZSTD(1)), fromCache Bool, baseImageSource LowCardinality(String), baseImagePulled Bool",
                             "eventData.image.:String, eventData.stage.:String, eventData.durationMs.:Int64, eventData.fromCache.:Bool, eventData.baseImageSource.:String, eventData.baseImagePulled.:Bool"),
    "image_build_finished": ("ImageBuildFinished", "image LowCardinality(String), durationMs UInt64 CODEC(T64, ZSTD(1)), rebuilt Bool, configType LowCardinality(String)", "eventData.image.:String, eventData.durationMs.:Int64, eventData.rebuilt.:Bool, eventData.configType.:String"),
    "build_finished": ("BuildFinished", "durationMs UInt64 CODEC(T64, ZSTD(1)), success Bool, imagesCount UInt32", "eventData.durationMs.:Int64, eventData.success.:Bool, eventData.imagesCount.:Int64"),
    "command_exited": ("CommandExited", "exitCode Int32, durationMs UInt64 CODEC(T64, ZSTD(1))", "eventData.exitCode.:Int64, eventData.durationMs.:Int64"),
}
start = time.perf_counter()
for table, (event_type, columns, read) in HAND.items():
    query(f"CREATE TABLE {table} ({COMMON}, {columns}, received Date) ENGINE = MergeTree PARTITION BY received ORDER BY (projectID, executionID, time)")
    for day_file in day_files:
        query(f"INSERT INTO {table} SELECT {COMMON_READ}, {read}, toDate('{day_file.stem}') "
              f"FROM file('{day_file}', JSONEachRow, '{TYPED_ENVELOPE}') WHERE eventType = '{event_type}'")
results["hand load s"] = time.perf_counter() - start
for table in HAND:
    query(f"OPTIMIZE TABLE {table} FINAL")
results["hand bytes"] = size("hand", list(HAND))

# Hand-typed, one table: the same rows in a single table, every field a typed column filled at
# insert, queried directly (no view): the layout the generated one automates.
fresh("single")
SINGLE_COLUMNS = ("image LowCardinality(String), stage LowCardinality(String), durationMs UInt64 CODEC(T64, ZSTD(1)), fromCache Bool, "
                  "baseImageSource LowCardinality(String), baseImagePulled Bool, success Bool, imagesCount UInt32, containerBackend LowCardinality(String), "
                  "inContainer Bool, exitCode Int32, rebuilt Bool, configType LowCardinality(String), "
                  "commandOptions Array(Tuple(name String, asCli Bool, asEnv Bool, count UInt32))")
SINGLE_READ = ("eventData.image.:String, eventData.stage.:String, eventData.durationMs.:Int64, eventData.fromCache.:Bool, eventData.baseImageSource.:String, "
               "eventData.baseImagePulled.:Bool, eventData.success.:Bool, eventData.imagesCount.:Int64, eventData.containerBackend.:String, eventData.inContainer.:Bool, "
               "eventData.exitCode.:Int64, eventData.rebuilt.:Bool, eventData.configType.:String, "
               "JSONExtract(toString(eventData), 'commandOptions', 'Array(Tuple(name String, asCli Bool, asEnv Bool, count UInt32))')")
query(f"CREATE TABLE events ({COMMON}, eventType LowCardinality(String), schemaVersion UInt32, {SINGLE_COLUMNS}, received Date) ENGINE = MergeTree "
      "PARTITION BY received ORDER BY (eventType, schemaVersion, projectID, executionID, time)")
for day_file in day_files:
    query(f"INSERT INTO events SELECT {COMMON_READ}, eventType, schemaVersion, {SINGLE_READ}, toDate('{day_file.stem}') FROM file('{day_file}', JSONEachRow, '{TYPED_ENVELOPE}')")
query("OPTIMIZE TABLE events FINAL")
results["single bytes"] = size("single", ["events"])

# The exporter's own table, text indexes, with the same events as spans.
fresh("exporter")
for statement in statements((root / "tests/warehouse/otel_traces.sql").read_text()):
    query(statement.replace("`default`.", ""))
query(f"INSERT INTO otel_traces SELECT * FROM file('{spans_file}', JSONEachRow) SETTINGS max_partitions_per_insert_block = 0")
query("OPTIMIZE TABLE otel_traces FINAL")
results["otel_traces bytes"] = size("exporter", ["otel_traces"])


readme = (root / "README.md").read_text().split("## Querying the data", 1)[1].split("\n## ", 1)[0]
queries = [sql for sql, _ in re.findall(r"```sql\n(.*?)```\n+```text\n(.*?)```", readme, re.S)]
queries.append("SELECT stage, count() AS stages, quantileExact(0.95)(durationMs) AS p95_ms\nFROM werf_stage_build_finished_v2\nGROUP BY stage\nORDER BY stage\n")
# The same queries on the hand-typed tables: the view's name becomes the table's, and
# `countIf(ci)` needs no change.
hand_queries = [re.sub(r"werf_(\w+)_v2", r"hand.\1", sql) for sql in queries]
# On the single table, the view's name becomes the table with its version's condition.
camel = lambda snake: "".join(part.title() for part in snake.split("_"))
single_queries = [
    re.sub(r"FROM werf_(\w+)_v2\n(GROUP BY|$)", lambda m: f"FROM single.events\nWHERE eventType = '{camel(m.group(1))}' AND schemaVersion = 2\n{m.group(2)}", sql)
    for sql in queries
]
rows = []
for sql, hand_sql, single_sql in zip(queries, hand_queries, single_queries):
    query("USE generated")
    same = query(sql) == query(hand_sql) == query(single_sql)
    times = {"generated": [], "hand": [], "single": []}
    for _ in range(9):  # alternated, so that the machine's drift falls on all three alike
        for name, text in [("generated", sql), ("hand", hand_sql), ("single", single_sql)]:
            times[name].append(timed(text, repeat=1))
    median = {name: sorted(values)[len(values) // 2] for name, values in times.items()}
    rows.append((sql.splitlines()[0][:60], median, same))

print(f"{total:,} events ({events_file.stat().st_size / 2**20:,.0f} MiB of JSON lines)\n")
print("| load (median of 5) | seconds | rows/s |\n|---|---|---|")
for name in ["generated", "hand", "before"]:
    seconds = results[f"{name} load s"]
    print(f"| {name} | {seconds:.1f} | {total / seconds:,.0f} |")
print("\n| layout | on disk | ratio to hand-tuned |\n|---|---|---|")
for name in ["generated", "hand", "single", "otel_traces", "before"]:
    print(f"| {name} | {results[f'{name} bytes'] / 2**20:.1f} MiB | {results[f'{name} bytes'] / results['hand bytes']:.2f}x |")
print("\n| query | generated views, ms | a table per type, ms | ratio | one typed table, ms | ratio | same result |\n|---|---|---|---|---|---|---|")
for first, ms, same in rows:
    print(f"| `{first}` | {ms['generated']:.1f} | {ms['hand']:.1f} | {ms['generated'] / ms['hand']:.2f}x | {ms['single']:.1f} | {ms['generated'] / ms['single']:.2f}x | {same} |")
