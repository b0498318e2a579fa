#!/usr/bin/env python3
"""Seeds a running Masthead with N published articles through the API (standard library only).

Usage: seed.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD N SLUGS_FILE
Writes the slugs of the first 100 articles to SLUGS_FILE (the benchmark's hot set).
"""
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

base, email, password, count, slugs_file = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
url = urllib.parse.urlparse(base)

# A vocabulary with a long tail, as real text has: a few common words, many rare ones.
COMMON = ("council bridge harbour election drone school budget river winter grain railway hospital "
          "court theatre market energy strike museum border ferry storm vaccine pension tariff").split()
SYLLABLES = "ka lo mi ne ru sa ti vo ze da fe gu hi jo ly po".split()
RARE = sorted({a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES})
WORDS = COMMON
SECTIONS = ["world", "local", "economy", "culture", "science"]


def connection():
    return http.client.HTTPConnection(url.hostname, url.port, timeout=30)


def call(conn, method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if data else None


conn = connection()
token = call(conn, "POST", "/v1/auth/login", {"email": email, "password": password})["access_token"]

slugs = []
lock = threading.Lock()
counter = iter(range(count))


def article(i, rng):
    words = [rng.choice(COMMON) if rng.random() < 0.2 else rng.choice(RARE) for _ in range(60)]
    paragraphs = [" ".join(words[j:j + 20]).capitalize() + "." for j in range(0, 60, 20)]
    return {
        "title": f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} report {i}",
        "standfirst": f"What happened with the {rng.choice(WORDS)} and the {rng.choice(WORDS)}.",
        "body": [{"type": "paragraph", "text": p} for p in paragraphs]
        + [{"type": "quote", "text": "We expected this.", "attribution": "an official"}],
        "section": rng.choice(SECTIONS),
        "tags": rng.sample(WORDS, 3),
        "sources": [{"name": "Wire service", "url": "https://wire.example/story"}],
    }


def worker(seed):
    rng = random.Random(seed)
    c = connection()
    while True:
        with lock:
            i = next(counter, None)
        if i is None:
            return
        created = call(c, "POST", "/v1/articles", article(i, rng), token)
        call(c, "POST", f"/v1/articles/{created['id']}/publish", None, token)
        if i < 100:
            with lock:
                slugs.append(created["slug"])


started = time.time()
threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - started
with open(slugs_file, "w") as f:
    f.write("\n".join(slugs) + "\n")
print(f"seeded {count} articles in {elapsed:.1f} s ({2 * count / elapsed:.0f} writes/s through the API)")
