#!/usr/bin/env python3
"""Image benchmark: upload throughput and rendition latency against a running Masthead.

Usage: images.py BASE_URL TOKEN COUNT WIDTH HEIGHT
Needs Pillow (bench/images installs it into a private virtualenv).
"""
import http.client
import io
import random
import statistics
import sys
import threading
import time
import urllib.parse

from PIL import Image

base, token, count, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
url = urllib.parse.urlparse(base)


def photo(seed):
    """A photo-like JPEG: smooth gradients plus noise, so it compresses like a real picture."""
    rng = random.Random(seed)
    small = Image.effect_noise((width // 8, height // 8), 64).convert("RGB")
    img = small.resize((width, height), Image.BICUBIC)
    overlay = Image.new("RGB", (width, height), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    img = Image.blend(img, overlay, 0.3)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    res = conn.getresponse()
    data = res.read()
    return res.status, data, res


def upload(conn, data, i):
    boundary = "bench-boundary-1f2e"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p{i}.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode() + data + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"alt_text\"\r\n\r\nBench photo {i}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    status, payload, _ = request(conn, "POST", "/v1/images", body, {
        "authorization": f"Bearer {token}",
        "content-type": f"multipart/form-data; boundary={boundary}",
    })
    if status != 201:
        raise RuntimeError(f"upload {i}: {status} {payload[:200]!r}")
    import json
    return json.loads(payload)["id"]


print(f"generating {count} photos of {width}x{height}…", file=sys.stderr)
photos = [photo(i) for i in range(count)]
total_mb = sum(len(p) for p in photos) / 1e6

ids = [None] * count
lock = threading.Lock()
next_index = iter(range(count))


def worker():
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    while True:
        with lock:
            i = next(next_index, None)
        if i is None:
            return
        ids[i] = upload(conn, photos[i], i)


started = time.time()
threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.time() - started

conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
auth = {"authorization": f"Bearer {token}"}
cold, warm = {}, {}
for w in (320, 1024, 2048):
    cold[w], warm[w] = [], []
    for image_id in ids[: min(10, count)]:
        t = time.perf_counter()
        status, data, res = request(conn, "GET", f"/v1/images/{image_id}/file?w={w}", headers=auth)
        cold[w].append((time.perf_counter() - t) * 1000)
        assert status == 200 and res.getheader("x-rendition") == "generated", (status, res.getheader("x-rendition"))
        t = time.perf_counter()
        status, data, res = request(conn, "GET", f"/v1/images/{image_id}/file?w={w}", headers=auth)
        warm[w].append((time.perf_counter() - t) * 1000)
        assert status == 200 and res.getheader("x-rendition") == "stored"

print(f"\nuploads: {count} JPEGs of {width}x{height} ({total_mb / count:.2f} MB each), 4 concurrent clients")
print(f"| uploads/s | MB/s | mean ms per upload (wall / concurrency) |")
print(f"|---:|---:|---:|")
print(f"| {count / elapsed:.1f} | {total_mb / elapsed:.1f} | {elapsed / count * 1000:.0f} |")
print(f"\nrenditions (first request makes it, second reads it back), {min(10, count)} images each")
print("| width | first request p50 ms | max ms | stored p50 ms | max ms |")
print("|---:|---:|---:|---:|---:|")
for w in cold:
    print(f"| {w} | {statistics.median(cold[w]):.1f} | {max(cold[w]):.1f} | {statistics.median(warm[w]):.2f} | {max(warm[w]):.2f} |")
with open(sys.argv[0] + ".last-id", "w") as f:
    f.write(ids[0])
