#!/usr/bin/env python3
"""Copies a seeded Relive SQLite database into an empty Relive PostgreSQL database (its
migrations applied, e.g. by `seed URL 0`), for `make bench-server`: the same rows on both
backends, in about a minute instead of a million transactions.

    sqlite-to-pg.py SQLITE_DB POSTGRES_URL

Every table with rows in SQLite is sent with `COPY ... FROM STDIN` (text format) through
psql, in the columns both schemas have (the flags are integers in both, so values need no
translation); then the identity sequences are set past the largest ids (parts and
broadcasts share the parts' sequence, as `store::queries::broadcasts::next_id` expects),
and `VACUUM (ANALYZE)` leaves the visibility map set and the planner informed.
"""
import sqlite3
import subprocess
import sys
import time


def text(v):
    if v is None:
        return "\\N"
    if isinstance(v, bytes):
        return "\\\\x" + v.hex()
    s = str(v)
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def psql(url, sql, stdin=None):
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", url, "-c", sql],
                          input=stdin, check=True, capture_output=True, text=True).stdout


def main():
    src, url = sys.argv[1], sys.argv[2]
    lite = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    tables = [r[0] for r in lite.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    pg_cols = {}
    for line in psql(url, "SELECT table_name, column_name FROM information_schema.columns "
                          "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position").splitlines():
        t, c = line.split("|")
        pg_cols.setdefault(t, []).append(c)
    # Parents before children (foreign keys).
    order = ["streamers", "broadcasts", "replays"]
    tables.sort(key=lambda t: (order.index(t) if t in order else len(order), t))
    for t in tables:
        n = lite.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
        if n == 0 or t not in pg_cols:
            continue
        lite_cols = [r[1] for r in lite.execute(f'PRAGMA table_info("{t}")')]
        cols = [c for c in lite_cols if c in pg_cols[t]]
        started = time.time()
        quoted = ", ".join(f'"{c}"' for c in cols)
        p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                              f'COPY "{t}" ({quoted}) FROM STDIN'], stdin=subprocess.PIPE, text=True)
        buf = []
        for row in lite.execute(f'SELECT {quoted} FROM "{t}"'):
            buf.append("\t".join(map(text, row)))
            if len(buf) >= 10000:
                p.stdin.write("\n".join(buf) + "\n")
                buf = []
        if buf:
            p.stdin.write("\n".join(buf) + "\n")
        p.stdin.close()
        if p.wait() != 0:
            sys.exit(f"COPY {t} failed")
        print(f"  {t}: {n} rows in {time.time() - started:.1f} s", file=sys.stderr)
    # Identity sequences past the largest id; the parts' one past broadcasts' ids too.
    seq = lite.execute("SELECT seq FROM sqlite_sequence WHERE name = 'replays'").fetchone()
    top = max([seq[0] if seq else 0] + [lite.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0]
                                        for t in ("replays", "broadcasts")])
    for line in psql(url, "SELECT table_name, column_name FROM information_schema.columns "
                          "WHERE table_schema = 'public' AND is_identity = 'YES'").splitlines():
        t, c = line.split("|")
        value = top if t == "replays" else None
        expr = str(value) if value else f'(SELECT COALESCE(MAX("{c}"), 0) FROM "{t}")'
        psql(url, f"SELECT setval(pg_get_serial_sequence('{t}', '{c}'), GREATEST({expr}, 1))")
    started = time.time()
    psql(url, "VACUUM (ANALYZE)")
    psql(url, "CHECKPOINT")
    print(f"  VACUUM (ANALYZE), CHECKPOINT: {time.time() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
