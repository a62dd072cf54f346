"""Reading a SQL file the way the warehouse checks and the benchmark run it."""


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
