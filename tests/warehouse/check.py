"""The generated ClickHouse tables and views, on a real ClickHouse engine (chdb).

Usage: check.py <repository> <a receiver's data folder> <the guide's acme workspace>
<werf's SQL variants>; exits non-zero on a failure. Checks:

- werf's schemas/clickhouse.sql runs after the exporter's `otel_traces` (its current template,
  text indexes), and runs again; it creates `otel_traces` itself where the exporter has not;
- every example payload, inserted into werf_events as a receiver stores it, comes back through its
  version's view with every field equal to the example's, of the view's declared type, and every
  column commented;
- the receiver's stored lines, each day file loaded by the SQL's own command (run in bash, with
  `clickhouse-client` a stand-in handing chdb each query), and failure records from the demo's
  runs load as they are, into their file's day; loading them again, on any day, changes no count,
  and a file changed since replaces what it loaded, unless emptied, which fails its load; two
  files of a day, or other inserts, keep their rows; the loaded rows expire with the retention; a
  file whose load fails part-way, after some of its blocks, is written not at all, and loaded again
  once it can be, once, leaving the load table empty;
- events whose client clocks span 150 days load in one insert, partitioned by the day of receipt;
  an event of a version without a view is counted by werf_events_without_view; a key the envelope
  does not have fails the load; running the SQL again brings a stale view, typed column and
  deduplication window up to date;
- the collector's path, for each of the exporter's layouts (text indexes, bloom filters,
  `json: true`): werf's spans, as the exporter writes them, come back through the views; spans
  whose envelope is not one land in werf_failed_events with their reason; other spans are not
  read; a retried batch changes no count;
- the retention is the tables' TTL and deletes what is older; the SQL's commented statements
  give tables made with another retention, or none, its own; the cluster variant parses, and
  runs on a cluster of one shard (its replicated tables as MergeTree) as one server does, a day
  file loaded twice by its own command, or split into pieces by its other, counting once;
- the erasure statements remove one installation's rows, and only those;
- acme's SQL from the guide works the same for acme's event;
- README's "Querying the data" queries give the results README shows;
- deploy/otel-collector.yaml: otlp straight to the clickhouse exporter, batching in its
  persistent sending queue, the schema left to the SQL, the TTL the SQL's.
"""

import datetime
import json
import pathlib
import re
import shlex
import subprocess
import sys
import tempfile

import yaml
from chdb import session
from sqlfile import for_chdb, statements

root = pathlib.Path(sys.argv[1])
data = pathlib.Path(sys.argv[2])
acme = pathlib.Path(sys.argv[3])
variants = pathlib.Path(sys.argv[4])
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += 0 if ok else 1


# chdb runs one ClickHouse a process: each check gets a database of its own in it. Its
# configuration names a cluster `telemetry` of one shard, this process, which a `Distributed`
# table reaches without a network (a shard at the server's own host and port is local).
home = pathlib.Path(tempfile.mkdtemp(prefix="chdb-"))
(home / "config.xml").write_text(
    "<clickhouse><tcp_port>9000</tcp_port><remote_servers><telemetry><shard><replica>"
    "<host>localhost</host><port>9000</port></replica></shard></telemetry></remote_servers></clickhouse>\n"
)
engine = session.Session(f"{home / 'data'}?config-file={home / 'config.xml'}")
databases = 0


def fresh(template="otel_traces.sql"):
    """A new, empty database, the current one, with `otel_traces` as the exporter's `template`
    creates it (none for `None`)."""
    global databases
    databases += 1
    engine.query(f"CREATE DATABASE check_{databases}")
    engine.query(f"USE check_{databases}")
    if template:
        for statement in statements((root / "tests/warehouse" / template).read_text()):
            engine.query(statement.replace("`default`.", ""))
    return engine


def run(db, sql):
    for statement in statements(sql):
        db.query(statement)


def rows(db, sql):
    result = db.query(sql, "JSONEachRow")
    return [json.loads(line) for line in str(result).splitlines() if line.strip()]


def count(db, table, where="1"):
    return int(rows(db, f"SELECT count() AS n FROM {table} WHERE {where}")[0]["n"])


def fails(db, sql):
    try:
        db.query(sql)
        return None
    except Exception as error:  # chdb raises its own error type for a refused query
        return str(error)


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
    kind = re.sub(r"^LowCardinality\((.*)\)$", r"\1", kind)
    if kind.startswith("Nullable("):
        return None if value is None else typed(value, kind[len("Nullable("):-1])
    if re.fullmatch(r"U?Int64", kind):
        return str(value)
    if kind.startswith("Array(Tuple("):
        inner = kind[len("Array(Tuple("):-2]
        names = re.findall(r"`?(\w+)`? (\w+(?:\([^)]*\))?)", inner)
        return [{name: typed(item.get(name), element) for name, element in names} for item in (value or [])]
    return value


ENVELOPE = {"ts", "time", "received", "executionID", "userID", "projectID", "command", "attributes", "eventType", "eventData", "schemaVersion"}


def check_views(db, program, payloads, label):
    """Every payload comes back through its version's view, every field equal and typed."""
    checked = 0
    for payload in payloads:
        view = view_of(program, payload["eventType"], payload["schemaVersion"])
        columns = rows(db, f"SELECT name, type, comment FROM system.columns WHERE database = currentDatabase() AND table = '{view}'")
        kinds = {column["name"]: column["type"] for column in columns}
        found = rows(
            db,
            f"SELECT * FROM {view} WHERE toString(executionID) = '{payload['executionID']}' AND ts = {payload['ts']} "
            "SETTINGS output_format_json_named_tuples_as_objects = 1, output_format_json_quote_64bit_integers = 1",
        )
        if len(found) != 1:
            check(False, f"{label}: {view} has the example at {payload['ts']}: {len(found)} rows")
            continue
        row = found[0]
        wrong = [key for key, value in payload["eventData"].items() if row.get(key) != typed(value, kinds.get(key, ""))]
        attributes = {key: value for key, value in payload["attributes"].items() if not isinstance(value, (dict, list))}
        wrong += [f"attributes.{key}" for key, value in attributes.items() if row.get(key, row.get(f"attributes_{key}")) != value]
        absent = [key for key in kinds if key not in payload["eventData"] and key not in attributes and key not in ENVELOPE]
        wrong += [key for key in absent if row.get(key) not in (None, [], {})]
        wrong += [key for key in ("userID", "projectID", "command", "eventType") if row[key] != payload[key]]
        wrong += [] if row["executionID"] == payload["executionID"] else ["executionID"]
        wrong += [key for key in ("attributes", "eventData") if json.loads(row[key]) != payload[key]]
        check(not wrong, f"{label}: {view} gives {payload['eventType']}'s envelope and fields as sent ({', '.join(wrong) or 'all equal'})")
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


today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
werf_sql = (root / "schemas/clickhouse.sql").read_text()
# The days werf's SQL keeps events and failure records.
events_days, failures_days = map(int, re.search(r"TTL received \+ toIntervalDay\((\d+)\).*?TTL toDateTime\(receivedTime\) \+ toIntervalDay\((\d+)\)", werf_sql, re.S).groups())
werf_examples = examples(root)
# The SQL's own command that loads a receiver's day file, as a user copies it.
def load_command_of(sql):
    """The (first) command of `sql`'s header that loads a receiver's day file, as a user copies it."""
    return re.search(r"^-- (f=telemetry-data/events/2026-12-02\.jsonl; .*clickhouse-client .*)$", sql, re.M).group(1)


LOAD = load_command_of(werf_sql)


def load_with(db, command, path, cwd=None):
    """Runs a load `command` of the SQL, in bash, on the day file `path`, with a stand-in
    `clickhouse-client` that keeps what each call gave it, then hands chdb each call in turn: its
    query, with `input(...)` read by `file(...)` from the call's standard input, its parameters
    and its settings. Returns the queries; raises the error of the first that fails."""
    queries = []
    with tempfile.TemporaryDirectory() as work:
        calls = pathlib.Path(work) / "calls"
        calls.mkdir()
        client = pathlib.Path(work) / "clickhouse-client"
        client.write_text(f"#!{sys.executable}\nimport json, pathlib, shutil, sys\ncalls = pathlib.Path({str(calls)!r})\n"
                          "n = len(list(calls.glob('*.json')))\njson.dump(sys.argv[1:], open(calls / f'{n:04}.json', 'w'))\n"
                          "shutil.copyfileobj(sys.stdin.buffer, open(calls / f'{n:04}.jsonl', 'wb'))\n")
        client.chmod(0o755)
        command = command.replace("f=telemetry-data/events/2026-12-02.jsonl;", f"f={shlex.quote(str(path))};")
        subprocess.run(["bash", "-c", command], check=True, cwd=cwd, env={"PATH": f"{work}:/usr/bin:/bin"})
        for call in sorted(calls.glob("*.json")):
            args = json.loads(call.read_text())
            query = args[args.index("--query") + 1]
            options = dict(arg[2:].split("=", 1) for arg in args if arg.startswith("--") and "=" in arg)
            params = {name[len("param_"):]: value for name, value in options.items() if name.startswith("param_")}
            settings = ", ".join(f"{name} = '{value}'" for name, value in options.items() if not name.startswith("param_"))
            db.query(for_chdb(query, call.with_suffix(".jsonl"), settings), params=params)
            queries.append(query)
    return queries


def load_day_file(db, path, command=LOAD):
    """The SQL's command that loads the day file `path`, run as `load_with` runs it; returns its
    insert."""
    return next(query for query in load_with(db, command, path) if "input(" in query)

# werf's SQL runs after the exporter's table, and runs again; and where the exporter created none.
db = fresh()
run(db, werf_sql)
run(db, werf_sql)
check(True, "werf's clickhouse.sql runs after the exporter's otel_traces, twice")
tables = {row["name"] for row in rows(db, "SELECT name FROM system.tables WHERE database = currentDatabase()")}
check({"werf_events", "werf_failed_events", "werf_events_from_otel", "werf_failed_events_from_otel", "werf_build_finished_v2", "werf_events_without_view"} <= tables, f"the tables and views exist: {sorted(tables)}")
alone = fresh(None)
run(alone, werf_sql)
theirs = rows(db, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position")
ours = rows(alone, "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position")
check(ours == theirs, "without the exporter's table, the SQL creates otel_traces with the exporter's columns")

# The examples, inserted as a receiver stores them.
db.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in werf_examples))
check(check_views(db, "werf", werf_examples, "examples") == 7, "all 7 examples checked")

# The demo's runs and failures, as the receiver stored them, each day file loaded by the SQL's
# command; loaded again, nothing doubles.
day_files = sorted((data / "events").glob("*.jsonl"))
stored = [line for path in day_files for line in path.read_text().splitlines()]
failed = [line for path in sorted((data / "failed").glob("*.jsonl")) for line in path.read_text().splitlines()]
check(len(stored) > 40 and len(failed) == 1, f"the demo's runs stored {len(stored)} events, {len(failed)} failure")
for _ in range(2):
    for path in day_files:
        load_query = load_day_file(db, path)
    db.query("INSERT INTO werf_failed_events FORMAT JSONEachRow " + "\n".join(failed))
check(count(db, "werf_events") == len(stored) + 7, f"every stored line is one row, loaded twice ({count(db, 'werf_events')})")
check(count(db, "werf_failed_events") == 1, "the failure record is one row, loaded twice")
check(count(db, "werf_events", f"received = '{today}'") == len(stored) + 7, "each row's day of receipt is its file's day, today's")
check(fails(db, f"SELECT formatQuery($${load_query}$$)") is None, "the load command's query parses as ClickHouse's parser reads it")
# A day file loaded on a later day lands in its own day, and loaded again there, counts once;
# changed since (grown, or rewritten by `forget`), it replaces what it loaded; emptied, it fails
# its load. Another file of the same day, and rows inserted otherwise, keep theirs.
host = subprocess.run(["hostname"], capture_output=True, text=True, check=True).stdout.strip()
source_of = lambda path: f"{host}:{path.resolve()}"
later = fresh()
run(later, werf_sql)
later.query("INSERT INTO werf_events FORMAT JSONEachRow " + compact(dict(werf_examples[0], received="2026-11-30")))
with tempfile.TemporaryDirectory() as work:
    old_file, other_file, emptied = (pathlib.Path(work) / folder / "2026-11-30.jsonl" for folder in ["old", "other", "emptied"])
    for path, lines in [(old_file, stored), (other_file, stored[:5]), (emptied, stored[:3])]:
        path.parent.mkdir()
        path.write_text("\n".join(lines) + "\n")
    for path in [old_file, old_file, other_file, emptied]:
        load_day_file(later, path)
    old_file.write_text("\n".join(stored[1:]) + "\n")
    load_day_file(later, old_file)
    emptied.write_text("")
    try:
        load_day_file(later, emptied)
        error = None
    except Exception as failure:  # chdb raises its own error type for a refused query
        error = str(failure)
    sources = rows(later, "SELECT source, toUInt32(count()) AS n FROM werf_events GROUP BY source ORDER BY n")
    want = [{"source": "", "n": 1}, {"source": source_of(emptied), "n": 3}, {"source": source_of(other_file), "n": 5}, {"source": source_of(old_file), "n": len(stored) - 1}]
days = rows(later, "SELECT received, toUInt32(count()) AS n FROM werf_events GROUP BY received")
check(error is not None and "no parts" in error, f"an emptied file fails its load ({error and error[:100]})")
expiries = rows(later, "SELECT DISTINCT toString(delete_ttl_info_min) AS expires FROM system.parts WHERE database = currentDatabase() AND table = 'werf_events' AND active")
expiry = (datetime.date(2026, 11, 30) + datetime.timedelta(days=events_days)).isoformat() + " 00:00:00"
check(expiries == [{"expires": expiry}], f"a loaded file's parts expire with the retention, as those inserted otherwise ({expiries})")
check(days == [{"received": "2026-11-30", "n": len(stored) - 1 + 5 + 3 + 1}] and sources == want,
      f"a file of 2026-11-30, loaded on another day and again, is its day's rows once; changed, it replaces what it loaded; "
      f"emptied, it keeps them; another file of the day and another insert keep theirs ({days}, {sources})")

# A load that fails part-way (a constraint of the load table refuses a row of its eighth block) is
# written not at all, and loaded again once it can be, counts each event once, leaving the load
# table empty.
whole = fresh()
run(whole, werf_sql)
many = [compact(dict(werf_examples[0], executionID=f"00000000-0000-4000-8000-{index:012x}")) for index in range(1000)]
whole.query("ALTER TABLE werf_events_load ADD CONSTRAINT refuse_one CHECK executionID != '00000000-0000-4000-8000-0000000002bc'")
assert " --min_insert_block_size_rows=131072 " in LOAD
# Blocks of 100 rows, parsed as such, so that a file of 1000 makes ten.
small_blocks = LOAD.replace(" --min_insert_block_size_rows=131072 ", " --min_insert_block_size_rows=100 --max_block_size=100 --input_format_parallel_parsing=0 ")
with tempfile.TemporaryDirectory() as work:
    big_file = pathlib.Path(work) / "2026-11-29.jsonl"
    big_file.write_text("\n".join(many) + "\n")
    try:
        load_day_file(whole, big_file, small_blocks)
        error = None
    except Exception as failure:  # chdb raises its own error type for a refused query
        error = str(failure)
    staged, written = count(whole, "werf_events_load"), count(whole, "werf_events")
    whole.query("ALTER TABLE werf_events_load DROP CONSTRAINT refuse_one")
    for _ in range(2):
        load_day_file(whole, big_file, small_blocks)
    parts = rows(whole, "SELECT toUInt32(count()) AS n FROM system.parts WHERE database = currentDatabase() AND table = 'werf_events' AND active")
check(error is not None and "refuse_one" in error and staged > 0 and written == 0, f"a load that fails after {staged} rows of the file writes none of them ({written} rows)")
check(count(whole, "werf_events") == 1000 and count(whole, "werf_events_load") == 0 and parts[0]["n"] >= 5,
      f"loaded twice once it can be, in {parts[0]['n']} parts, each event once ({count(whole, 'werf_events')}), the load table left empty")

# Clocks that lie: 150 client days in one load, one partition of receipt; other versions seen.
clocks = fresh()
run(clocks, werf_sql)
day = 86_400_000
spread = [dict(werf_examples[0], ts=werf_examples[0]["ts"] + index * day, executionID=f"00000000-0000-4000-8000-{index:012x}") for index in range(150)]
error = fails(clocks, "INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in spread))
check(error is None and count(clocks, "werf_events") == 150, f"150 client days load in one insert ({error})")
parts = rows(clocks, "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() AND table = 'werf_events' AND active")
check([part["partition"] for part in parts] == [f"('{today}','')"], f"into the partition of the day of receipt: {parts}")
newer = dict(werf_examples[0], schemaVersion=3)
clocks.query("INSERT INTO werf_events FORMAT JSONEachRow " + compact(newer))
check(count(clocks, "werf_events_without_view") == 1 and count(clocks, "werf_build_finished_v2") == 150, "a version without a view is counted by werf_events_without_view, not by the views")
extra = dict(werf_examples[0], unexpected=1)
error = fails(clocks, "INSERT INTO werf_events SETTINGS input_format_skip_unknown_fields = 0 FORMAT JSONEachRow " + compact(extra))
check(error is not None and "unexpected" in error, "with the README's setting, a key the envelope lacks fails the load")
clocks.query("CREATE OR REPLACE VIEW werf_build_finished_v2 AS SELECT 1 AS stale")
clocks.query("ALTER TABLE werf_events MODIFY SETTING non_replicated_deduplication_window = 1000")
clocks.query("ALTER TABLE werf_events MODIFY COLUMN attributes__os MATERIALIZED 'stale'")
clocks.query("INSERT INTO werf_events FORMAT JSONEachRow " + compact(dict(werf_examples[0], executionID="00000000-0000-4000-8000-00000000aaaa")))
run(clocks, werf_sql)
check(count(clocks, "werf_build_finished_v2") == 151, "running the SQL again replaces a stale view")
window = re.search(r"non_replicated_deduplication_window = (\d+)", str(clocks.query("SHOW CREATE TABLE werf_events", "TSVRaw"))).group(1)
check(window == "10000", f"and brings the table's deduplication window up to date ({window} blocks)")
clocks.query("INSERT INTO werf_events FORMAT JSONEachRow " + compact(dict(werf_examples[0], executionID="00000000-0000-4000-8000-00000000bbbb")))
oses = rows(clocks, "SELECT toString(executionID) AS run, os FROM werf_build_finished_v2 WHERE executionID IN ('00000000-0000-4000-8000-00000000aaaa', '00000000-0000-4000-8000-00000000bbbb') ORDER BY run")
check(oses == [{"run": "00000000-0000-4000-8000-00000000aaaa", "os": "stale"}, {"run": "00000000-0000-4000-8000-00000000bbbb", "os": werf_examples[0]["attributes"]["os"]}],
      f"running the SQL again gives a typed column its current expression for the rows inserted after, rewriting none before ({oses})")

# The collector's path, in each of the exporter's layouts.
def span(payload, index, json_layout, name="telemetry.werf.io"):
    """`otel_traces` row of a span of `payload`, as the exporter writes it: with `Map`, every
    attribute value as a string (`AsString()`); with `json: true`, integers as numbers."""
    attributes = {key: (compact(value) if isinstance(value, (dict, list)) else value) for key, value in payload.items()}
    if not json_layout:
        attributes = {key: str(value) for key, value in attributes.items()}
    return json.dumps({
        # A DateTime64 from an integer in JSONEachRow would be read as seconds: the time as text.
        # The span's start: its `ts` when that is a time, else the epoch.
        "Timestamp": datetime.datetime.fromtimestamp(ts / 1000 if isinstance(ts := payload.get("ts"), int) and 0 <= ts < 2**41 else 0, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f"),
        "TraceId": f"{index:032x}",
        "SpanId": f"{index:016x}",
        "SpanName": name,
        "SpanKind": "Internal",
        "ServiceName": "werf",
        "ScopeName": "telemetry.werf.io",
        "SpanAttributes": attributes,
    })


base = werf_examples[0]
refused = [
    ({key: value for key, value in base.items() if key != "ts"}, "attribute_missing"),
    (dict(base, ts=-5), "attribute_type"),
    (dict(base, ts=2**53), "attribute_type"),
    ({key: value for key, value in base.items() if key != "schemaVersion"}, "attribute_missing"),
    (dict(base, eventData="not json"), "not_json"),
    (dict(base, attributes=[1, 2]), "not_json"),
    (dict(base, schemaVersion=3), "unknown_event_version"),
    (dict(base, executionID="not-a-uuid"), "attribute_type"),
]


def exporter_batch(json_layout):
    """The spans of one batch as the exporter inserts them: werf's examples, the ones the receiver
    would refuse, and a span of another name."""
    batch = [span(payload, index, json_layout) for index, payload in enumerate(werf_examples)]
    batch += [span(payload, 100 + index, json_layout) for index, (payload, _) in enumerate(refused)]
    batch.append(span(base, 200, json_layout, name="http.request"))
    return batch


for layout, template, sql in [
    ("text indexes", "otel_traces.sql", werf_sql),
    ("bloom filters", "otel_traces_bloom.sql", (variants / "bloom.sql").read_text()),
    ("json: true", "otel_traces_json.sql", (variants / "json.sql").read_text()),
]:
    otel = fresh(template)
    run(otel, sql)
    batch = exporter_batch(template == "otel_traces_json.sql")
    for _ in range(2):  # the exporter retrying the same batch
        error = fails(otel, "INSERT INTO otel_traces FORMAT JSONEachRow " + "\n".join(batch))
    check(error is None, f"{layout}: the exporter's insert succeeds ({error})")
    check(count(otel, "werf_events") == 7, f"{layout}: werf's 7 valid spans reach werf_events once, retried or not ({count(otel, 'werf_events')})")
    check(check_views(otel, "werf", werf_examples, f"otel, {layout}") == 7, f"{layout}: each comes back through its version's view")
    got = sorted(row["failure"] for row in rows(otel, "SELECT failure FROM werf_failed_events"))
    check(got == sorted(kind for _, kind in refused), f"{layout}: each span the receiver would refuse is a failure record with its reason: {got}")
    kept = rows(otel, "SELECT attributes FROM werf_failed_events WHERE failure = 'not_json' LIMIT 1")
    check(kept and kept[0]["attributes"].get("command") == base["command"], f"{layout}: a failure record keeps the span's attributes")
    check(count(otel, "werf_events", "eventType = ''") == 0 and count(otel, "werf_events", "ts = 0") == 0, f"{layout}: nothing reaches werf_events with zeros")

# The retention, as TTL: older rows go, newer stay; the failure records' shorter limit likewise.
ttl = fresh("otel_traces_json.sql")
run(ttl, (variants / "json.sql").read_text())
check((events_days, failures_days) == (90, 14), f"werf's SQL keeps events 90 days and failure records 14 ({events_days}, {failures_days})")
old = (datetime.date.today() - datetime.timedelta(days=events_days + 1)).isoformat()
ttl.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(compact(dict(payload, received=old)) for payload in werf_examples))
ttl.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in werf_examples))
now_ms = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
record = json.loads(failed[0])
# A failure record received before the failures' retention, and one received now.
OLD_AND_NEW_FAILURES = "INSERT INTO werf_failed_events FORMAT JSONEachRow " + "\n".join(compact(dict(record, receivedAt=at)) for at in [now_ms - (failures_days + 1) * day, now_ms])
ttl.query(OLD_AND_NEW_FAILURES)
ttl.query("OPTIMIZE TABLE werf_events FINAL")
ttl.query("OPTIMIZE TABLE werf_failed_events FINAL")
check(count(ttl, "werf_events") == 7 and count(ttl, "werf_failed_events") == 1, f"the TTL deletes what is older than the retention ({count(ttl, 'werf_events')} events, {count(ttl, 'werf_failed_events')} failures)")


def retention_statements(sql):
    """The statements, commented out, that give tables made with another retention the SQL's."""
    block = sql.split("\n-- Retention:", 1)[1].split("\n\n", 1)[0]
    return [line[3:] for line in block.splitlines() if line.startswith("-- ALTER TABLE ")]


def table_ttls(db):
    return {row["name"]: (re.search(r"TTL (.*?) SETTINGS", row["engine_full"]) or [None, None])[1]
            for row in rows(db, "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'")}


# Tables made with twice the retention keep their rows until the SQL's statements give them its
# own, which deletes what it expires; a program without a retention removes the TTL by its own.
changed = fresh(None)
run(changed, re.sub(r"toIntervalDay\((\d+)\)", lambda days: f"toIntervalDay({int(days[1]) * 2})", werf_sql))
changed.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(compact(dict(payload, received=received)) for payload in werf_examples for received in [old, datetime.date.today().isoformat()]))
changed.query(OLD_AND_NEW_FAILURES)
for table in ["werf_events", "werf_failed_events"]:
    changed.query(f"OPTIMIZE TABLE {table} FINAL")
kept = (count(changed, "werf_events"), count(changed, "werf_failed_events"))
changed.query("SET mutations_sync = 2")
for statement in retention_statements(werf_sql):
    changed.query(statement)
for table in ["werf_events", "werf_failed_events"]:
    changed.query(f"OPTIMIZE TABLE {table} FINAL")
after = (count(changed, "werf_events"), count(changed, "werf_failed_events"))
expiries = rows(changed, "SELECT DISTINCT toString(delete_ttl_info_min) AS expires FROM system.parts WHERE database = currentDatabase() AND table = 'werf_events' AND active AND rows > 0")
expiry = (datetime.date.today() + datetime.timedelta(days=events_days)).isoformat() + " 00:00:00"
want = {"werf_events": f"received + toIntervalDay({events_days})", "werf_events_load": f"received + toIntervalDay({events_days})",
        "werf_failed_events": f"toDateTime(receivedTime) + toIntervalDay({failures_days})", "otel_traces": f"toDateTime(Timestamp) + toIntervalDay({events_days})"}
check(kept == (14, 2) and after == (7, 1) and expiries == [{"expires": expiry}] and table_ttls(changed) == want,
      f"the SQL's retention statements give tables made with another retention its TTL and delete what it expires ({kept}, {after}, {expiries}, {table_ttls(changed)})")
removals = retention_statements((acme / "schemas/clickhouse.sql").read_text())
for statement in removals:
    changed.query(statement.replace("acme_", "werf_"))
changed.query("SET mutations_sync = 0")
check(len(removals) == 4 and all("REMOVE TTL" in statement for statement in removals) and table_ttls(changed) == dict.fromkeys(want),
      f"acme's SQL, without a retention, removes a TTL the tables were made with ({removals}, {table_ttls(changed)})")

# The cluster variant. chdb has no Keeper, so neither replicated tables nor `ON CLUSTER` run here:
# every statement is parsed as written; then it runs on the cluster `telemetry` of one shard, this
# process, without `ON CLUSTER` and with each replicated engine as a `MergeTree` that drops a block
# inserted again within the same window: its `Distributed` tables, the views over them, the
# load command, the collector's path.
cluster = (variants / "cluster.sql").read_text()
literal = lambda text: "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
parsed = [fails(db, f"SELECT formatQuery({literal(statement.rstrip(';'))})") for statement in statements(cluster)]
check(all(error is None for error in parsed), f"every statement of the cluster variant parses: {[error for error in parsed if error][:1]}")
check(re.search(r"CREATE TABLE IF NOT EXISTS werf_events ON CLUSTER `telemetry` AS werf_events_local\nENGINE = Distributed", cluster) is not None
      and "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/werf_events_local', '{replica}')" in cluster
      and "FROM werf_events\nWHERE eventType = 'BuildFinished'" in cluster,
      "the cluster variant stores rows in replicated local tables and reads them through Distributed ones")
windows = re.findall(r"replicated_deduplication_window = (\d+), replicated_deduplication_window_seconds = (\d+)", cluster)
check(len(windows) == 5 and all(int(blocks) == 10000 and int(seconds) > 365 * 86400 for blocks, seconds in windows),
      f"the replicated tables remember their last 10,000 blocks for years, not ClickHouse's default hour, when created and when run again: {windows}")
one_shard, engines = re.subn(r"ReplicatedMergeTree\('[^']*', '\{replica\}'\)", "MergeTree", cluster.replace(" ON CLUSTER `telemetry`", ""))
one_shard, stand_ins = re.subn(r"replicated_deduplication_window = (\d+)", r"\g<0>, non_replicated_deduplication_window = \1", one_shard)
shard = fresh(None)
check(rows(shard, "SELECT is_local FROM system.clusters WHERE cluster = 'telemetry'") == [{"is_local": 1}], "the cluster `telemetry` here is one shard, this process")
errors = [fails(shard, statement) for _ in range(2) for statement in statements(one_shard)]
check(engines == 3 and stand_ins == 5 and not any(errors), f"the cluster variant runs on one shard, twice, every column's codec taken by the Distributed tables: {[error for error in errors if error][:1]}")
shard.query("INSERT INTO werf_events SETTINGS distributed_foreground_insert = 1 FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in werf_examples))
check(check_views(shard, "werf", werf_examples, "cluster") == 7, "cluster: the examples, inserted through werf_events, come back through the views")
CLUSTER_LOAD = load_command_of(cluster)
check("--distributed_foreground_insert=1" in CLUSTER_LOAD, "cluster: the load command waits for the shards")
for _ in range(2):
    for path in day_files:
        load_with(shard, CLUSTER_LOAD, path)
check(count(shard, "werf_events") == count(shard, "werf_events_local") == len(stored) + 7,
      f"cluster: every stored line, loaded twice by the cluster's load command, is one row, stored in werf_events_local ({count(shard, 'werf_events')})")
# A file split into pieces by the cluster's command (at 100 kB here, not 200 MB), each loaded
# whole, twice: each event once, in the file's day.
SPLIT = re.search(r"^-- (f=telemetry-data/events/2026-12-02\.jsonl; mkdir -p pieces; split .*)$", cluster, re.M).group(1)
pieces = fresh(None)
run(pieces, one_shard)
with tempfile.TemporaryDirectory() as work:
    big_file = pathlib.Path(work) / "2026-11-28.jsonl"
    big_file.write_text("\n".join(many) + "\n")
    assert " -C 200M " in SPLIT
    loads = [load_with(pieces, SPLIT.replace(" -C 200M ", " -C 100K "), big_file, cwd=work) for _ in range(2)]
days = rows(pieces, "SELECT received, toUInt32(count()) AS n, toUInt32(uniqExact(executionID)) AS events FROM werf_events GROUP BY received")
check(len(loads[0]) >= 3 and len(loads[0]) == len(loads[1]) and days == [{"received": "2026-11-28", "n": 1000, "events": 1000}],
      f"cluster: a file split by the SQL's command into {len(loads[0])} pieces, each loaded twice, is its day's events once ({days})")
collector = fresh(None)
run(collector, one_shard)
for _ in range(2):  # the exporter retrying the same batch
    error = fails(collector, "INSERT INTO otel_traces FORMAT JSONEachRow " + "\n".join(exporter_batch(False)))
got = sorted(row["failure"] for row in rows(collector, "SELECT failure FROM werf_failed_events"))
check(error is None and count(collector, "werf_events_local") == 7 and got == sorted(kind for _, kind in refused),
      f"cluster: the collector's spans reach werf_events_local once, retried or not, the refused ones werf_failed_events_local ({error}, {count(collector, 'werf_events_local')}, {got})")

# Erasure: the statements at the end of the SQL remove one installation's rows, and only those.
erase = fresh()
run(erase, werf_sql)
block = werf_sql.split("-- Erase an installation, by its `userID`:\n", 1)[1].split("-- Erase a project", 1)[0]
erasure = [line[3:] for line in block.splitlines() if line.startswith("-- DELETE")]
check(len(erasure) == 4, f"the SQL erases an installation from 4 tables: {erasure}")
gone = [dict(payload, userID="erase-me") for payload in werf_examples]
erase.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in werf_examples + gone))
# What a failed load left in the load table.
erase.query("INSERT INTO werf_events_load FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in werf_examples + gone))
erase.query("INSERT INTO werf_failed_events FORMAT JSONEachRow " + "\n".join(failed + [
    compact({"receivedAt": 1, "failure": "schema_violation", "message": "", "errors": [], "eventType": "BuildStarted", "schemaVersion": 2, "spanName": "telemetry.werf.io", "envelope": compact(gone[0]), "attributes": {}, "body": ""}),
    compact({"receivedAt": 1, "failure": "attribute_type", "message": "", "errors": [], "eventType": "", "schemaVersion": 0, "spanName": "telemetry.werf.io", "envelope": "", "attributes": {"userID": "erase-me"}, "body": ""}),
]))
erase.query("INSERT INTO otel_traces FORMAT JSONEachRow " + "\n".join(span(dict(payload, userID=user), index, False) for index, payload in enumerate(werf_examples) for user in ["kept", "erase-me"]))
for statement in erasure:
    erase.query(statement.replace("{id:String}", "'erase-me'"))
left = {table: count(erase, table) for table in ["werf_events", "werf_events_load", "werf_failed_events", "otel_traces"]}
# werf_events also holds the rows the collector's view copied from otel_traces.
check(left == {"werf_events": 7 + 7, "werf_events_load": 7, "werf_failed_events": len(failed), "otel_traces": 7}, f"only the installation's rows are gone: {left}")
check(count(erase, "werf_events", "userID = 'erase-me'") == 0, "none of its events is left")

# acme's SQL from the guide.
acme_db = fresh()
run(acme_db, (acme / "schemas/clickhouse.sql").read_text())
acme_examples = examples(acme)
acme_db.query("INSERT INTO acme_events FORMAT JSONEachRow " + "\n".join(compact(payload) for payload in acme_examples))
check(check_views(acme_db, "acme", acme_examples, "acme") == len(acme_examples) >= 1, "acme's SQL and view work the same")

# README's queries, on the demo's data alone.
demo = fresh()
run(demo, werf_sql)
demo.query("INSERT INTO werf_events FORMAT JSONEachRow " + "\n".join(stored))
readme = (root / "README.md").read_text()
section = readme.split("## Querying the data", 1)[1].split("\n## ", 1)[0]
queries = re.findall(r"```sql\n(.*?)```\n+```text\n(.*?)```", section, re.S)
check(len(queries) >= 3, f"README shows {len(queries)} queries with their results")
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
check(pipeline == {"receivers": ["otlp"], "exporters": ["clickhouse"]}, f"the traces pipeline is otlp to clickhouse, without the batch processor: {pipeline}")
check("http" in config["receivers"]["otlp"]["protocols"], "the otlp receiver takes OTLP/HTTP")
exporter = config["exporters"]["clickhouse"]
queue = exporter["sending_queue"]
check("batch" in queue and queue.get("storage") == "file_storage" and "file_storage" in config["extensions"] and config["service"]["extensions"] == ["file_storage"],
      "batching is in the exporter's sending queue, kept on disk by the file_storage extension")
check(exporter["create_schema"] is False and exporter.get("async_insert") is False, "the exporter creates no schema and inserts each batch as one block")
check(exporter["ttl"] == f"{events_days * 24}h", f"its ttl is the SQL's retention ({exporter['ttl']})")
read_table = re.search(r"MATERIALIZED VIEW werf_events_from_otel TO \w+\nAS SELECT.*?\nFROM (\w+)\n", werf_sql, re.S).group(1)
check(exporter["traces_table_name"] == read_table == "otel_traces", f"the exporter writes the table the SQL reads ({exporter['traces_table_name']}, {read_table})")
check(exporter.get("database", "default") == "default", "in the database the SQL runs in")

sys.exit(1 if failures else 0)
