#!/usr/bin/env python3
"""Prepares benchmark inputs against a seeded, running Masthead (standard library, plus Pillow
when available for the image scenario). Writes files into OUT_DIR:
hot (100 slug paths), deep (deep cursor pages), tags, search, ids (for updates), image, etag,
feed (the site's RSS), sitemaps (the index), daymaps (day sitemaps across the archive),
sections (section pages).

Usage: prepare.py BASE_URL TOKEN OUT_DIR
"""
import base64
import http.client
import io
import json
import os
import sys
import urllib.parse

base, token, out = sys.argv[1], sys.argv[2], sys.argv[3]
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)


def call(method, path, body=None, headers=None, raw=False):
    conn.request(method, path, body=body, headers=headers or {})
    res = conn.getresponse()
    data = res.read()
    if res.status >= 300:
        raise RuntimeError(f"{method} {path}: {res.status} {data[:300]!r}")
    return (data, res) if raw else json.loads(data)


def write(name, lines):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(lines) + "\n")


page = call("GET", "/v1/articles?limit=100")
items = page["items"]
write("hot", [f"/v1/articles/{a['slug']}" for a in items])
write("ids", [a["id"] for a in items])
data, res = call("GET", f"/v1/articles/{items[0]['slug']}", raw=True)
write("etag", [res.getheader("etag")])
write("first", [f"/v1/articles/{items[0]['slug']}"])

# Cursors deep in the archive: positions 80-90% of the way back.
count_hint = int(os.environ.get("ARTICLES", "10000"))
deep = []
for fraction in (0.80, 0.82, 0.84, 0.86, 0.88, 0.90):
    offset_seconds = int(count_hint * fraction) * 150
    # The seed spaces stories 150 s apart, newest a minute ago: find the one there.
    newest = items[0]["published_at"]
    import datetime
    t = datetime.datetime.fromisoformat(newest.replace("Z", "+00:00")) - datetime.timedelta(seconds=offset_seconds)
    before = urllib.parse.quote(t.isoformat())
    probe = call("GET", f"/v1/articles?limit=1&published_before={before}")
    if probe["items"]:
        a = probe["items"][0]
        at = datetime.datetime.fromisoformat(a["published_at"].replace("Z", "+00:00"))
        micros = int(at.timestamp()) * 1_000_000 + at.microsecond
        cursor = base64.urlsafe_b64encode(f"articles-p:{micros}|{a['id']}".encode()).decode().rstrip("=")
        deep.append(f"/v1/articles?cursor={cursor}")
write("deep", deep or ["/v1/articles"])
common = "council bridge harbour election drone school budget river winter grain railway hospital".split()
write("tags", [f"/v1/articles?tag={t}" for t in common])
write("search", [f"/v1/articles?q={a}+{b}" for a in common[:6] for b in ("kaloru", "mineti", "savoze", "dafegu")])
write("feed", ["/v1/feeds/rss"])
write("sitemaps", ["/v1/sitemaps/index.xml"])
# Day sitemaps spread over the archive, newest to oldest, as the index lists them.
index, _ = call("GET", "/v1/sitemaps/index.xml", raw=True)
days = [loc.split("</loc>")[0] for loc in index.decode().split("<loc>")[1:] if "/v1/sitemaps/articles/" in loc]
picked = days[:: max(1, len(days) // 24)] if days else []
write("daymaps", [urllib.parse.urlparse(loc).path for loc in picked] or ["/v1/sitemaps/index.xml"])
# The seed's sections (bench/seed.py and `masthead seed` use the same five).
write("sections", [f"/v1/articles?section={s}" for s in ("world", "local", "economy", "culture", "science")])

try:
    from PIL import Image
except ImportError:
    Image = None
if Image is not None:
    img = Image.effect_noise((2400, 1600), 40).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85)
    boundary = "bench-b"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.jpg\"\r\n\r\n").encode() + buf.getvalue() + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"alt_text\"\r\n\r\nNoise\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"credit\"\r\n\r\nBench\r\n--{boundary}--\r\n").encode()
    image = call("POST", "/v1/images", body, {"authorization": f"Bearer {token}", "content-type": f"multipart/form-data; boundary={boundary}"})
    auth = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    article = call("POST", "/v1/articles", json.dumps({"title": "Bench photo story", "featured_image": {"image_id": image["id"]},
                                                       "body": [{"type": "paragraph", "text": "Photo."}]}), auth)
    call("POST", f"/v1/articles/{article['id']}/publish", None, {"authorization": f"Bearer {token}"})
    write("image", [f"/v1/images/{image['id']}/file?w=640"])
