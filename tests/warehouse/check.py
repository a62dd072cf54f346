"""The generated ClickHouse tables and views, on a real ClickHouse engine (chdb).

Usage: check.py <repository> <a receiver's data folder> <the guide's acme workspace>; exits
non-zero on a failure. Checks:

- werf's schemas/clickhouse.sql runs (after the exporter's otel_traces), and runs again;
- every example payload, inserted into werf_events as a receiver stores it, comes back through its
  version's view with every field equal to the example's, of the view's declared type, and every
  column commented;
- the receiver's stored lines and failure records from the demo's runs load as they are;
- otel_traces rows for werf's spans, as the collector's exporter writes them (every attribute a
  string), come back through werf_events_from_otel and the views;
- acme's SQL from the guide works the same for acme's event;
- README's "Querying the data" queries give the results README shows;
- deploy/otel-collector.yaml routes otlp through batch to the clickhouse exporter, into the table
  the SQL reads.
"""

import datetime
import json
import pathlib
import re
import sys
import tempfile

import yaml
from chdb import session

root = pathlib.Path(sys.argv[1])
data = pathlib.Path(sys.argv[2])
acme = pathlib.Path(sys.argv[3])
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += 0 if ok else 1


def statements(text):
    """The statements of a SQL file: each ends with a line ending in `;`."""
    out, current = [], []
    for line in text.splitlines():
        if not current and (line.startswith("--") or not line.strip()):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(current))
            current = []
    return out


# chdb runs one ClickHouse a process: each check gets a database of its own in it.
engine = session.Session(tempfile.mkdtemp(prefix="chdb-"))
databases = 0


def fresh():
    """A new, empty database, the current one, with the exporter's otel_traces."""
    global databases
    databases += 1
    engine.query(f"CREATE DATABASE check_{databases}")
    engine.query(f"USE check_{databases}")
    for statement in statements((root / "tests/warehouse/otel_traces.sql").read_text()):
        engine.query(statement.replace('"default".', ""))
    return engine


def rows(db, sql):
    result = db.query(sql, "JSONEachRow")
    return [json.loads(line) for line in str(result).splitlines() if line.strip()]


def compact(payload):
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def examples(folder):
    payloads = []
    for path in sorted((folder / "examples").glob("*.json")):
        payload = json.loads(path.read_text())
        payloads.extend(payload if isinstance(payload, list) else [payload])
    return payloads


def view_of(program, event_type, version):
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", event_type).lower()
    return f"{program}_{snake}_v{version}"


def typed(value, kind):
    """A JSON value as ClickHouse's JSONEachRow output writes a value of `kind`."""
    if kind.startswith("Nullable("):
        return None if value is None else typed(value, kind[len("Nullable("):-1])
    if re.fullmatch(r"U?Int64", kind):
        return str(value)
    if kind.startswith("Array(Tuple("):
        inner = kind[len("Array(Tuple("):-2]
        names = re.findall(r"`?(\w+)`? (\w+(?:\([^)]*\))?)", inner)
        return [{name: typed(item.get(name), element) for name, element in names} for item in (value or [])]
    return value


def check_views(db, program, payloads, label):
    """Every payload comes back through its version's view, every field equal and typed."""
    checked = 0
    for payload in payloads:
        view = view_of(program, payload["eventType"], payload["schemaVersion"])
        columns = rows(db, f"SELECT name, type, comment FROM system.columns WHERE database = currentDatabase() AND table = '{view}'")
        kinds = {column["name"]: column["type"] for column in columns}
        found = rows(
            db,
            f"SELECT * FROM {view} WHERE executionID = '{payload['executionID']}' AND ts = {payload['ts']} "
            "SETTINGS output_format_json_named_tuples_as_objects = 1, output_format_json_quote_64bit_integers = 1",
        )
        if len(found) != 1:
            check(False, f"{label}: {view} has the example at {payload['ts']}: {len(found)} rows")
            continue
        row = found[0]
        wrong = [
            key
            for key, value in payload["eventData"].items()
            if row.get(key) != typed(value, kinds.get(key, ""))
        ]
        absent = [key for key in kinds if key not in payload["eventData"] and key not in (
            "ts", "time", "executionID", "userID", "projectID", "command", "attributes", "eventType", "eventData", "schemaVersion")]
        wrong += [key for key in absent if row.get(key) not in (None, [], {})]
        check(not wrong, f"{label}: {view} gives {payload['eventType']}'s fields as sent ({', '.join(wrong) or 'all equal'})")
        types = rows(db, "SELECT " + ", ".join(f"toTypeName(`{name}`) AS `{name}`" for name in kinds) + f" FROM {view} LIMIT 1")
        bare = lambda kind: re.sub(r"\s+", "", kind)
        check(types and all(bare(types[0][name]) == bare(kind) for name, kind in kinds.items()), f"{label}: {view}'s values are of its declared types")
        check(all(column["comment"] for column in columns), f"{label}: every column of {view} is commented")
        check(
            row["time"].startswith(datetime.datetime.fromtimestamp(payload["ts"] / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")),
            f"{label}: {view}'s time is ts in milliseconds ({row['time']})",
        )
        checked += 1
    return checked


# werf's SQL runs, and runs again.
werf_sql = (root / "schemas/clickhouse.sql").read_text()
db = fresh()
for statement in statements(werf_sql):
    db.query(statement)
for statement in statements(werf_sql):
    db.query(statement)
check(True, "werf's clickhouse.sql runs, twice")
tables = {row["name"] for row in rows(db, "SELECT name FROM system.tables WHERE database = currentDatabase()")}
check({"werf_events", "werf_failed_events", "werf_events_from_otel", "werf_build_finished_v2"} <= tables, f"the tables and views exist: {sorted(tables)}")

# The examples, inserted as a receiver stores them.
werf_examples = examples(root)
db.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in werf_examples))
check(check_views(db, "werf", werf_examples, "examples") == 7, "all 7 examples checked")

# The demo's runs and failures, as the receiver stored them.
stored = [line for path in sorted((data / "events").glob("*.jsonl")) for line in path.read_text().splitlines()]
failed = [line for path in sorted((data / "failed").glob("*.jsonl")) for line in path.read_text().splitlines()]
check(len(stored) > 40 and len(failed) == 1, f"the demo's runs stored {len(stored)} events, {len(failed)} failure")
db.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(stored))
db.query("INSERT INTO werf_failed_events FORMAT JSONEachRow " + "\n".join(failed))
count = rows(db, "SELECT count() AS n FROM werf_events")[0]["n"]
check(int(count) == len(stored) + 7, f"every stored line is a row ({count})")
demo_payloads = [json.loads(line) for line in stored]
check(check_views(db, "werf", demo_payloads, "demo") == len(stored), "every stored event comes back through its view")
failure = rows(db, "SELECT failure, errors, eventType, schemaVersion FROM werf_failed_events SETTINGS output_format_json_named_tuples_as_objects = 1")[0]
check(
    failure["failure"] == "schema_violation" and failure["errors"][0]["pointer"] == "/eventData/imagesCount" and failure["eventType"] == "BuildStarted",
    f"the failure record loads as it is: {failure}",
)

# The collector's path: otel_traces rows as the exporter writes them.
otel = fresh()
for statement in statements(werf_sql):
    otel.query(statement)
spans = []
for index, payload in enumerate(werf_examples + [dict(werf_examples[0], eventType="NotWerfs")]):
    attributes = {key: (compact(value) if isinstance(value, dict) else str(value)) for key, value in payload.items()}
    spans.append({
        # A DateTime64 from an integer in JSONEachRow would be read as seconds: the time as text.
        "Timestamp": datetime.datetime.fromtimestamp(payload["ts"] / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "TraceId": f"{index:032x}",
        "SpanId": f"{index:016x}",
        "SpanName": "telemetry.werf.io" if payload["eventType"] != "NotWerfs" else "http.request",
        "SpanKind": "Internal",
        "ServiceName": "werf",
        "ScopeName": "telemetry.werf.io",
        "SpanAttributes": attributes,
    })
otel.query("INSERT INTO otel_traces FORMAT JSONEachRow " + "\n".join(json.dumps(span) for span in spans))
through = rows(otel, "SELECT * FROM werf_events_from_otel ORDER BY ts")
check(len(through) == 7, f"werf's 7 spans come through werf_events_from_otel, the other span does not ({len(through)})")
same = all(
    any(json.loads(row["eventData"]) == payload["eventData"] and json.loads(row["attributes"]) == payload["attributes"] and row["executionID"] == payload["executionID"] for row in through)
    for payload in werf_examples
)
check(same, "each comes back as the envelope that was sent")
check(check_views(otel, "werf", werf_examples, "otel") == 7, "and through its version's view")

# Erasure: the statements at the end of the SQL remove one installation's rows, and only those.
erase = fresh()
for statement in statements(werf_sql):
    erase.query(statement)
block = werf_sql.split("-- Erase an installation, by its `userID`:\n", 1)[1].split("-- Erase a project", 1)[0]
erasure = [line[3:] for line in block.splitlines() if line.startswith("-- DELETE")]
check(len(erasure) == 3, f"the SQL erases an installation from 3 tables: {erasure}")
gone = [dict(payload, userID="erase-me") for payload in werf_examples]
erase.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in werf_examples + gone))
erase.query("INSERT INTO werf_failed_events FORMAT JSONEachRow " + "\n".join(failed + [
    compact({"receivedAt": 1, "failure": "schema_violation", "message": "", "errors": [], "eventType": "BuildStarted", "schemaVersion": 2, "spanName": "telemetry.werf.io", "envelope": compact(gone[0]), "attributes": {}, "body": ""}),
    compact({"receivedAt": 1, "failure": "attribute_type", "message": "", "errors": [], "eventType": "", "schemaVersion": 0, "spanName": "telemetry.werf.io", "envelope": "", "attributes": {"userID": "erase-me"}, "body": ""}),
]))
erase.query("INSERT INTO otel_traces FORMAT JSONEachRow " + "\n".join(json.dumps(dict(span, SpanAttributes=dict(span["SpanAttributes"], userID=user))) for span in spans[:7] for user in ["", "erase-me"]))
for statement in erasure:
    erase.query(statement.replace("{id:String}", "'erase-me'"))
left = {
    table: int(rows(erase, f"SELECT count() AS n FROM {table}")[0]["n"])
    for table in ["werf_events", "werf_failed_events", "otel_traces"]
}
# werf_events also holds the rows the collector's view copied from otel_traces.
check(left == {"werf_events": 7 + 7, "werf_failed_events": len(failed), "otel_traces": 7}, f"only the installation's rows are gone: {left}")
check(int(rows(erase, "SELECT count() AS n FROM werf_events WHERE userID = 'erase-me'")[0]["n"]) == 0, "none of its events is left")

# acme's SQL from the guide.
acme_db = fresh()
for statement in statements((acme / "schemas/clickhouse.sql").read_text()):
    acme_db.query(statement)
acme_examples = examples(acme)
acme_db.query("INSERT INTO acme_events FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in acme_examples))
check(check_views(acme_db, "acme", acme_examples, "acme") == len(acme_examples) >= 1, "acme's SQL and view work the same")

# README's queries, on the demo's data alone.
demo = fresh()
for statement in statements(werf_sql):
    demo.query(statement)
demo.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(stored))
readme = (root / "README.md").read_text()
section = readme.split("## Querying the data", 1)[1].split("\n## ", 1)[0]
queries = re.findall(r"```sql\n(.*?)```\n+```text\n(.*?)```", section, re.S)
check(len(queries) >= 3, f"README shows {len(queries)} queries with their results")
today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
for query, shown in queries:
    got = str(demo.query(query, "TSVWithNames")).strip().splitlines()
    want = shown.strip().splitlines()
    # Dates are the day the demo ran; durations depend on the machine: those are compared by form.
    def cells(line):
        return [re.sub(r"^\d{4}-\d{2}-\d{2}$", "DAY", cell) for cell in line.split("\t")]
    header = want[0].split("\t")
    timing = {index for index, name in enumerate(header) if name.endswith("_ms")}
    same = len(got) == len(want) and got[0] == want[0]
    for got_line, want_line in zip(got[1:], want[1:]):
        got_cells, want_cells = cells(got_line), cells(want_line)
        same = same and len(got_cells) == len(want_cells) and all(
            (re.fullmatch(r"\d+(\.\d+)?", g) is not None) if index in timing else g == w
            for index, (g, w) in enumerate(zip(got_cells, want_cells))
        )
    check(same, f"README's query gives what README shows:\n{query}got:\n" + "\n".join(got))
    if header[0] == "day":
        check(all(line.startswith(today) for line in got[1:]), f"its days are the demo's, {today}")

# The collector's configuration.
config = yaml.safe_load((root / "deploy/otel-collector.yaml").read_text())
pipeline = config["service"]["pipelines"]["traces"]
check(pipeline == {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["clickhouse"]}, f"the traces pipeline is otlp, batch, clickhouse: {pipeline}")
check("http" in config["receivers"]["otlp"]["protocols"], "the otlp receiver takes OTLP/HTTP")
exporter = config["exporters"]["clickhouse"]
read_table = re.search(r"MATERIALIZED VIEW IF NOT EXISTS \w+ TO \w+\nAS SELECT.*?\nFROM (\w+)\n", werf_sql, re.S).group(1)
check(exporter["traces_table_name"] == read_table == "otel_traces", f"the exporter writes the table the SQL reads ({exporter['traces_table_name']}, {read_table})")
check(exporter.get("database", "default") == "default", "in the database the SQL runs in")

sys.exit(1 if failures else 0)
