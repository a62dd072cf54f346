"""Reading a SQL file the way the warehouse checks and the benchmark run it."""

import re


def statements(text):
    """The statements of a SQL file: each ends with a line ending in `;`; comment lines and blank
    lines between statements are left out."""
    out, current = [], []
    for line in text.splitlines():
        if not current and (line.startswith("--") or not line.strip()):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(current))
            current = []
    return out


def for_chdb(query, stdin, settings):
    """A `clickhouse-client` call's `query` as chdb runs it: `input(...)` read by `file(...)` from
    the file `stdin`, which the call would read its standard input from, and the call's `settings`
    (`name = value, ...`, or empty) as the query's."""
    structure = re.search(r"input\('([^']*)'\)", query)
    if structure:
        query = query.replace(structure.group(0), f"file('{stdin}', JSONEachRow, '{structure.group(1)}')").removesuffix(" FORMAT JSONEachRow")
    return query + (f" SETTINGS {settings}" if settings else "")
