#!/usr/bin/env python3
"""Image benchmark helpers for bench/images (which installs Pillow into a private virtualenv).

  images.py photos DIR COUNT WIDTH HEIGHT
      writes COUNT photo-like JPEGs (p0.jpg, p1.jpg, …) into DIR, once for every store.
  images.py prepare BASE_URL TOKEN PHOTO_DIR OUT_DIR CLIENTS
      uploads the photos (4 clients), publishes an article that shows the first one, then
      asks for every rendition of every photo exactly once, CLIENTS at a time, each one new to
      the store (checked: the server must answer `X-Rendition: generated`). Writes `warm` and
      `original` (the public paths wrk reads next) and `rows.tsv` (the uploads and the cold
      renditions) into OUT_DIR. With SERVER_PID (and STORE_PID) set, the CPU time those
      processes spent per request is measured too.
  images.py wrk NAME WRK_OUTPUT SERVER_TICKS_BEFORE SERVER_TICKS_AFTER STORE_BEFORE STORE_AFTER
      one row of rows.tsv from wrk's --latency output.
  images.py table STORE=ROWS.TSV…
      the comparison table (Markdown).
"""
import http.client
import io
import json
import math
import os
import random
import re
import sys
import threading
import time
import urllib.parse

# The widths a rendition may have (src/images/mod.rs, RENDITION_WIDTHS).
WIDTHS = (320, 640, 1024, 1600, 2048)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    """User plus system CPU of a process, in clock ticks (as bench/run reads it)."""
    if not pid:
        return None
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def per_request_us(before, after, requests):
    if before is None or after is None or not requests:
        return ""
    return f"{(after - before) / CLK_TCK * 1e6 / requests:.0f}"


def percentile(values, p):
    """The nearest-rank percentile: the smallest value at or above p % of the sample."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def photo(seed, width, height):
    """A photo-like JPEG: smooth gradients plus noise, so it compresses like a real picture."""
    from PIL import Image

    rng = random.Random(seed)
    small = Image.effect_noise((width // 8, height // 8), 64).convert("RGB")
    img = small.resize((width, height), Image.BICUBIC)
    overlay = Image.new("RGB", (width, height), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    img = Image.blend(img, overlay, 0.3)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def photos(directory, count, width, height):
    os.makedirs(directory, exist_ok=True)
    for i in range(count):
        with open(os.path.join(directory, f"p{i}.jpg"), "wb") as f:
            f.write(photo(i, width, height))


def connect(base):
    url = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=120)


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    res = conn.getresponse()
    return res.status, res.read(), res


def upload(conn, token, data, i):
    boundary = "bench-boundary-1f2e"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p{i}.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode() + data + (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"alt_text\"\r\n\r\nBench photo {i}\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"credit\"\r\n\r\nBench\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    status, payload, _ = request(conn, "POST", "/v1/images", body, {
        "authorization": f"Bearer {token}",
        "content-type": f"multipart/form-data; boundary={boundary}",
    })
    if status != 201:
        raise RuntimeError(f"upload {i}: {status} {payload[:200]!r}")
    return json.loads(payload)["id"]


def in_parallel(clients, jobs, work):
    """Runs work(conn, job) for every job on `clients` threads, each with one keep-alive
    connection; returns the wall time in seconds."""
    lock = threading.Lock()
    pending = iter(jobs)
    failures = []

    def worker():
        conn = connect(base)
        while True:
            with lock:
                job = next(pending, None)
            if job is None:
                return
            try:
                work(conn, job)
            except Exception as e:  # reported after the run, never silently
                failures.append(e)
                conn = connect(base)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, the first: {failures[0]}")
    return time.perf_counter() - started


def prepare(photo_dir, out_dir, clients):
    server_pid, store_pid = os.environ.get("SERVER_PID"), os.environ.get("STORE_PID")
    files = sorted(os.listdir(photo_dir), key=lambda n: int(n[1:].split(".")[0]))
    data = [open(os.path.join(photo_dir, n), "rb").read() for n in files]
    with open(os.path.join(photo_dir, files[0]), "rb") as f:
        from PIL import Image

        width = Image.open(f).size[0]
    rows = []

    # Uploads, 4 clients.
    ids = [None] * len(data)

    def do_upload(conn, i):
        ids[i] = upload(conn, token, data[i], i)

    server0, store0 = cpu_ticks(server_pid), cpu_ticks(store_pid)
    elapsed = in_parallel(4, range(len(data)), do_upload)
    mb = sum(len(d) for d in data) / 1e6
    rows.append(["upload", f"{len(data) / elapsed:.1f}", "", "", "0",
                 per_request_us(server0, cpu_ticks(server_pid), len(data)),
                 per_request_us(store0, cpu_ticks(store_pid), len(data)),
                 f"{len(data)} JPEGs, {mb / len(data):.2f} MB each, 4 clients"])

    # The first image in a published article: its bytes are public, read as a reader would.
    conn = connect(base)
    auth = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    status, payload, _ = request(conn, "POST", "/v1/articles", json.dumps({
        "title": "Bench photo story", "featured_image": {"image_id": ids[0]},
        "body": [{"type": "paragraph", "text": "Photo."}]}), auth)
    assert status == 201, (status, payload[:200])
    article = json.loads(payload)["id"]
    status, payload, _ = request(conn, "POST", f"/v1/articles/{article}/publish", None, auth)
    assert 200 <= status < 300, (status, payload[:200])
    with open(os.path.join(out_dir, "warm"), "w") as f:
        f.write(f"/v1/images/{ids[0]}/file?w=1024")
    with open(os.path.join(out_dir, "original"), "w") as f:
        f.write(f"/v1/images/{ids[0]}/file")

    # Cold: every (image, width) pair once, in a random order, so that no request finds its
    # rendition made and consecutive requests rarely share an original.
    widths = [w for w in WIDTHS if w < width]
    pairs = [(i, w) for i in ids for w in widths]
    random.Random(7).shuffle(pairs)
    latencies, generated = [], []
    header = {"authorization": f"Bearer {token}"}

    def do_cold(conn, pair):
        image_id, w = pair
        t = time.perf_counter()
        status, body, res = request(conn, "GET", f"/v1/images/{image_id}/file?w={w}", headers=header)
        latencies.append((time.perf_counter() - t) * 1000)
        if status != 200:
            raise RuntimeError(f"rendition {image_id} w={w}: {status} {body[:200]!r}")
        generated.append(res.getheader("x-rendition") == "generated")

    server0, store0 = cpu_ticks(server_pid), cpu_ticks(store_pid)
    elapsed = in_parallel(clients, pairs, do_cold)
    made = sum(generated)
    if made != len(pairs):
        raise RuntimeError(f"only {made} of {len(pairs)} cold requests made their rendition")
    rows.append(["cold rendition", f"{len(pairs) / elapsed:.1f}", f"{percentile(latencies, 50):.1f}",
                 f"{percentile(latencies, 99):.1f}", "0",
                 per_request_us(server0, cpu_ticks(server_pid), len(pairs)),
                 per_request_us(store0, cpu_ticks(store_pid), len(pairs)),
                 f"{len(pairs)} distinct ({len(ids)} images × {len(widths)} widths), all generated, "
                 f"{clients} clients, with a token"])
    with open(os.path.join(out_dir, "rows.tsv"), "a") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")


def wrk_row(name, path, server_before, server_after, store_before, store_after):
    text = open(path).read()

    def grab(pattern, default="0"):
        m = re.search(pattern, text)
        return m.group(1) if m else default

    def ms(v):
        m = re.match(r"([\d.]+)(us|ms|s)", v)
        if not m:
            return float("nan")
        n, unit = float(m.group(1)), m.group(2)
        return n / 1000 if unit == "us" else n * 1000 if unit == "s" else n

    requests = int(grab(r"(\d+) requests in"))
    errors = int(grab(r"Non-2xx or 3xx responses: (\d+)")) + sum(
        int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    rps = float(grab(r"Requests/sec:\s+([\d.]+)"))
    p50, p99 = ms(grab(r" 50%\s+(\S+)", "nan")), ms(grab(r" 99%\s+(\S+)", "nan"))

    def ticks(v):
        return int(v) if v else None

    print("\t".join([
        name, f"{rps:.0f}", f"{p50:.2f}", f"{p99:.2f}", str(errors),
        per_request_us(ticks(server_before), ticks(server_after), requests),
        per_request_us(ticks(store_before), ticks(store_after), requests),
        grab(r"Transfer/sec:\s+(\S+)", "") + "/s"]))


def table(stores):
    print("| store | scenario | req/s | p50 ms | p99 ms | errors | server CPU µs/req | store CPU µs/req | notes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for store, path in stores:
        for line in open(path):
            if line.strip():
                cells = line.rstrip("\n").split("\t")
                print("| " + " | ".join([store] + [c or "–" for c in cells]) + " |")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "photos":
        photos(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif command == "prepare":
        base, token = args[0], args[1]
        prepare(args[2], args[3], int(args[4]))
    elif command == "wrk":
        wrk_row(*args)
    elif command == "table":
        table([a.split("=", 1) for a in args])
    else:
        sys.exit(f"unknown command {command}")
