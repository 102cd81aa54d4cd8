#!/usr/bin/env python3
"""Finds deep-page paths through the API, as a client scrolling would: for each
streamer given, follows next_cursor PAGES times from the first page (limit=20) and
prints the path of the page after that, one per line.

usage: deep-cursors.py BASE_URL PAGES STREAMER_ID...
"""
import http.client
import json
import sys
import urllib.parse

base, pages, streamers = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
u = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
found = 0
for s in streamers:
    path = f"/api/v1/streamers/{s}/replays?limit=20"
    for _ in range(pages):
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit(f"{path}: HTTP {r.status}: {body[:200]!r}")
        cursor = json.loads(body).get("next_cursor")
        if not cursor:
            path = None
            break
        path = f"/api/v1/streamers/{s}/replays?limit=20&cursor={urllib.parse.quote(cursor, safe='')}"
    if path:
        print(path)
        found += 1
if found == 0:
    sys.exit(f"no streamer has more than {pages} pages")
