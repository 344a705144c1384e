"""Capture the benchmark corpus from real Sentry SDKs.

    python capture.py python  --out ../corpus                    # needs sentry-sdk + brotli importable
    python capture.py node    --out ../corpus --node-project DIR # DIR has node_modules/@sentry/node
    python capture.py browser --out ../corpus --node-project DIR --chromium /usr/bin/chromium
                                                                 # DIR has @sentry/browser, esbuild,
                                                                 # playwright-core

Each run starts receiver.py on 127.0.0.1 (random port), points the SDK's DSN at it, runs the app,
waits for the SDK to flush, then writes the scrubbed envelopes into --out. Machine-specific strings
(the app's directory, the Python prefix, the home directory, local ports, the host name) are
replaced by neutral ones (`/srv/app`, `/usr/local`, `/home/app`, `shop.example.com`, `web-1`).
"""

import argparse
import glob
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from receiver import Capture, make_server

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "0123456789abcdef0123456789abcdef"
# Strings that must not survive scrubbing (checked after the rewrite; a warning is printed).
FORBIDDEN = [HERE, os.path.expanduser("~"), tempfile.gettempdir() + "/", sys.prefix]


def clear_old(out, sdk):
    for path in glob.glob(os.path.join(out, "%s-*.envelope" % sdk)):
        os.remove(path)


def common_replacements(receiver_port):
    host = socket.gethostname()
    return [
        ('"server_name":"%s"' % host, '"server_name":"web-1"'),
        ("127.0.0.1:%d" % receiver_port, "sentry.internal:9000"),
        (os.path.expanduser("~"), "/home/app"),
    ]


def capture_python(args, capture, port):
    app_dir = os.path.join(HERE, "python_app")
    env = dict(os.environ, SENTRY_DSN="http://%s@127.0.0.1:%d/1" % (KEY, port))
    subprocess.run([sys.executable, "main.py"], cwd=app_dir, env=env, check=True, timeout=120)
    reps = common_replacements(port)
    reps += [(app_dir, "/srv/app"), (os.path.realpath(app_dir), "/srv/app")]
    if sys.prefix != sys.base_prefix:
        reps.append((sys.prefix, "/srv/app/.venv"))
    reps.append((sys.base_prefix, "/usr/local"))
    reps.append((os.path.realpath(sys.base_prefix), "/usr/local"))
    reps.append(("/usr/local/bin/python%d.%d" % sys.version_info[:2], "/usr/local/bin/python3"))
    return reps


def capture_node(args, capture, port):
    app_dir = os.path.join(HERE, "node_app")
    env = dict(
        os.environ,
        SENTRY_DSN="http://%s@127.0.0.1:%d/1" % (KEY, port),
        NODE_PATH=os.path.join(os.path.abspath(args.node_project), "node_modules"),
    )
    out = subprocess.run(
        ["node", "main.js"], cwd=app_dir, env=env, timeout=180, capture_output=True, text=True
    )
    sys.stderr.write(out.stderr[-4000:])
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", out.stdout)
    reps = common_replacements(port)
    if m:
        reps.append(("127.0.0.1:%s" % m.group(1), "api.shop.internal:8080"))
    nm = os.path.join(os.path.abspath(args.node_project), "node_modules")
    reps += [(nm, "/srv/app/node_modules"), (app_dir, "/srv/app"), (os.path.realpath(app_dir), "/srv/app")]
    return reps


def capture_browser(args, capture, port):
    app_dir = os.path.join(HERE, "browser_app")
    project = os.path.abspath(args.node_project)
    bundle = os.path.join(app_dir, "bundle.min.js")
    # @sentry/browser on npm ships only ESM/CJS builds; build the same kind of IIFE bundle that the
    # CDN serves (window.Sentry) with esbuild.
    subprocess.run(
        [
            os.path.join(project, "node_modules", ".bin", "esbuild"),
            os.path.join(app_dir, "sdk-entry.js"),
            "--bundle",
            "--minify",
            "--format=iife",
            "--target=es2020",
            "--outfile=" + bundle,
        ],
        cwd=project,
        check=True,
        env=dict(os.environ, NODE_PATH=os.path.join(project, "node_modules")),
    )

    class Static(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=app_dir, **kw)

        def log_message(self, fmt, *a):
            pass

    page = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Static)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    page_port = page.server_address[1]
    env = dict(os.environ, NODE_PATH=os.path.join(project, "node_modules"))
    dsn = "http://%s@127.0.0.1:%d/1" % (KEY, port)
    url = "http://127.0.0.1:%d/" % page_port
    subprocess.run(["node", "run.js", url, dsn, args.chromium], cwd=app_dir, env=env, check=True, timeout=180)
    page.shutdown()
    os.remove(bundle)
    reps = common_replacements(port)
    reps += [
        ("http://127.0.0.1:%d" % page_port, "https://shop.example.com"),
        ("127.0.0.1:%d" % page_port, "shop.example.com"),
    ]
    return reps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sdk", choices=["python", "node", "browser"])
    ap.add_argument("--out", default=os.path.join(HERE, "..", "corpus"))
    ap.add_argument("--node-project", default=".")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds to wait for late requests")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    capture = Capture(args.sdk, args.out)
    srv = make_server(capture)
    port = srv.server_address[1]
    reps = {"python": capture_python, "node": capture_node, "browser": capture_browser}[args.sdk](
        args, capture, port
    )
    time.sleep(args.settle)
    srv.shutdown()
    clear_old(args.out, args.sdk)
    forbidden = FORBIDDEN + [os.path.abspath(args.node_project)]
    for meta in capture.finish(reps, forbidden):
        print("%-40s %-28s %6d bytes (sent %d, %s)" % (
            meta["file"], ",".join(meta["items"]), meta["bytes_decoded"], meta["bytes_sent"],
            meta["content_encoding"] or "identity"))


if __name__ == "__main__":
    main()
