"""Tiny Sentry-compatible receiver used to capture the benchmark corpus.

It listens on 127.0.0.1, accepts `POST /api/<project>/envelope/`, decompresses the body the way it
was sent (br, gzip, deflate or identity), rewrites machine-specific strings (paths, host name) so
that nothing of the capturing machine ends up in the corpus, fixes the `length` item headers that
the rewrite changed, saves one `<sdk>-<kind>-<n>.envelope` file per request and writes one line of
metadata per request to `captures-<sdk>.jsonl` (headers as sent, sizes, content encoding).

It answers `200 {"id": "<event_id>"}` (or `{}` when the envelope carries no event).

Used as a library by capture.py; can also be run alone:

    python3 receiver.py --sdk python --out ../corpus --port 0
"""

import argparse
import gzip
import http.server
import json
import re
import threading
import zlib

try:
    import brotli  # type: ignore
except ImportError:  # pragma: no cover - only needed for Python SDK captures
    brotli = None

EVENT_LIKE = {"event", "transaction", "feedback"}


def decode_body(raw, encoding):
    enc = (encoding or "").strip().lower()
    if enc in ("", "identity", "utf-8"):
        return raw
    if enc == "br":
        if brotli is None:
            raise RuntimeError("body is brotli-compressed but the brotli module is missing")
        return brotli.decompress(raw)
    if enc in ("gzip", "x-gzip"):
        return gzip.decompress(raw)
    if enc == "deflate":
        try:
            return zlib.decompress(raw)
        except zlib.error:
            return zlib.decompress(raw, -15)
    raise RuntimeError("unsupported Content-Encoding %r" % encoding)


def split_envelope(data):
    """Return (header_end, [(ih_start, ih_end, payload_start, payload_end), ...]).

    Offsets index into `data`; separators are the bytes between the pieces.
    """
    nl = data.find(b"\n")
    header_end = len(data) if nl == -1 else nl
    pos = header_end + 1
    items = []
    while pos < len(data):
        nl = data.find(b"\n", pos)
        ih_end = len(data) if nl == -1 else nl
        line = data[pos:ih_end]
        if not line.strip():
            pos = ih_end + 1
            continue
        ih = json.loads(line)
        p_start = ih_end + 1
        if "length" in ih:
            p_end = p_start + int(ih["length"])
            if p_end > len(data):
                raise ValueError("item length runs past the end of the envelope")
            nxt = p_end + 1
        else:
            nl = data.find(b"\n", p_start)
            p_end = len(data) if nl == -1 else nl
            nxt = p_end + 1
        items.append((pos, ih_end, p_start, min(p_end, len(data))))
        pos = nxt
    return header_end, items


def rewrite_envelope(data, replacements):
    """Apply byte replacements to the envelope header and every payload; fix `length` headers."""

    def scrub(b):
        for old, new in replacements:
            b = b.replace(old, new)
        return b

    header_end, items = split_envelope(data)
    out = [scrub(data[:header_end])]
    cursor = header_end
    for ih_start, ih_end, p_start, p_end in items:
        out.append(data[cursor:ih_start])  # separator (normally b"\n")
        ih_line = data[ih_start:ih_end]
        payload = scrub(data[p_start:p_end])
        if b'"length":' in ih_line:
            ih_line = re.sub(rb'"length":\s*\d+', b'"length":%d' % len(payload), ih_line)
        out.append(ih_line)
        out.append(data[ih_end:p_start])  # b"\n"
        out.append(payload)
        cursor = p_end
    out.append(data[cursor:])  # trailing newline if any
    return b"".join(out)


def describe(data):
    """(event_id or None, item types, slug for the file name)."""
    header_end, items = split_envelope(data)
    env_header = json.loads(data[:header_end] or b"{}")
    types = []
    slug = None
    for ih_start, ih_end, p_start, p_end in items:
        ih = json.loads(data[ih_start:ih_end])
        types.append(ih.get("type"))
        if ih.get("type") == "event" and slug is None:
            ev = json.loads(data[p_start:p_end])
            exc = ev.get("exception")
            values = exc.get("values") if isinstance(exc, dict) else exc
            if values:
                slug = str(values[-1].get("type") or "error")
            elif ev.get("logentry") or ev.get("message"):
                slug = "message"
            else:
                slug = "event"
    if slug is None:
        slug = "-".join(sorted(set(t.replace("_", "-") for t in types if t))) or "empty"
    slug = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")
    event_id = env_header.get("event_id") if any(t in EVENT_LIKE for t in types) else None
    return event_id, types, slug


class Capture:
    """Collects requests in memory; `finish` scrubs them and writes the corpus files."""

    def __init__(self, sdk, out_dir):
        self.sdk = sdk
        self.out_dir = out_dir
        self.requests = []
        self.lock = threading.Lock()

    def handle(self, path, headers, raw):
        body = decode_body(raw, headers.get("Content-Encoding"))
        event_id, _, _ = describe(body)
        with self.lock:
            self.requests.append((path, dict(headers), raw, body))
        return event_id

    def finish(self, replacements, forbidden=()):
        """Write `<sdk>-<kind>-<n>.envelope` files and `captures-<sdk>.jsonl`; return the metadata."""
        reps = sorted(((a.encode(), b.encode()) for a, b in replacements), key=lambda r: -len(r[0]))
        counts = {}
        saved = []
        for path, headers, raw, body in self.requests:
            body = rewrite_envelope(body, reps)
            for f in forbidden:
                if f.encode() in body:
                    print("WARNING: %r still present in a captured %s envelope" % (f, self.sdk))
            _, types, slug = describe(body)
            n = counts.get(slug, 0) + 1
            counts[slug] = n
            name = "%s-%s-%d.envelope" % (self.sdk, slug, n)
            with open("%s/%s" % (self.out_dir, name), "wb") as f:
                f.write(body)
            saved.append(
                {
                    "file": name,
                    "sdk": self.sdk,
                    "items": types,
                    "path": path,
                    "content_type": headers.get("Content-Type"),
                    "content_encoding": headers.get("Content-Encoding"),
                    "user_agent": headers.get("User-Agent"),
                    "x_sentry_auth": headers.get("X-Sentry-Auth"),
                    "bytes_sent": len(raw),
                    "bytes_decoded": len(body),
                }
            )
        with open("%s/captures-%s.jsonl" % (self.out_dir, self.sdk), "w") as f:
            for meta in saved:
                f.write(json.dumps(meta, sort_keys=True) + "\n")
        return saved


def make_server(capture, port=0):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def _reply(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "x-sentry-rate-limits, retry-after")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_OPTIONS(self):
            self.send_response(200)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "POST")
            self.send_header("Access-Control-Allow-Headers", "*")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                raw = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    raw += self.rfile.read(size)
                    self.rfile.readline()
            else:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                event_id = capture.handle(self.path, self.headers, raw)
            except Exception as e:  # keep serving; report the problem
                print("receiver: could not store request to %s: %s" % (self.path, e))
                self._reply(400, json.dumps({"detail": str(e)}).encode())
                return
            self._reply(200, json.dumps({"id": event_id} if event_id else {}).encode())

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # SDK processes exit without closing keep-alive connections; that's fine

    srv = Server(("127.0.0.1", port), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sdk", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--replace", action="append", default=[], metavar="OLD=NEW")
    args = ap.parse_args()
    reps = [tuple(r.split("=", 1)) for r in args.replace]
    capture = Capture(args.sdk, args.out)
    srv = make_server(capture, args.port)
    print("listening on 127.0.0.1:%d; Ctrl-C writes the files" % srv.server_address[1], flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.shutdown()
        for meta in capture.finish(reps):
            print(meta["file"], meta["bytes_decoded"])


if __name__ == "__main__":
    main()
