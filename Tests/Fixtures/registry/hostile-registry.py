#!/usr/bin/env python3
"""A registry that misbehaves on purpose, for the bad-input cases of the registry suite. Each
repository name picks a fault; the bytes it serves come from a real image layout (argv[2]):

  truncated/x   the layer blob stops halfway, every time
  mismatch/x    the layer blob has the right size and the wrong bytes
  flaky/x       the manifest answers 503 once; the layer blob drops halfway once, then honours Range
  unknowntype/x the manifest has an unknown media type
  huge/x        the manifest gives its layer a size of 2^50 bytes
  manylayers/x  the manifest has 3,000 layers
  broken/x      the manifest is not JSON
  redirect/x    wants Basic auth, then redirects the layer blob to another origin (localhost), which
                serves it and notes in argv[3] whether credentials came along
"""
import hashlib, json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, layout, redirect_log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
blobs = {}
for name in os.listdir(os.path.join(layout, "blobs", "sha256")):
    with open(os.path.join(layout, "blobs", "sha256", name), "rb") as f:
        blobs["sha256:" + name] = f.read()
index = json.load(open(os.path.join(layout, "index.json")))
manifest_bytes = blobs[index["manifests"][0]["digest"]]
manifest = json.loads(manifest_bytes)
layer = manifest["layers"][0]
counts = {}

def variant(fault):
    m = json.loads(manifest_bytes)
    if fault == "unknowntype":
        m["mediaType"] = "application/vnd.example.unknown+json"
    elif fault == "huge":
        m["layers"][0]["size"] = 1 << 50
    elif fault == "manylayers":
        m["layers"] = m["layers"] * 3000
    else:
        return manifest_bytes
    return json.dumps(m).encode()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json", extra=None, length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        parts = self.path.split("?")[0].split("/")
        if self.path.rstrip("/") == "/v2":
            return self.send(200, b"{}")
        fault = parts[2] if len(parts) > 2 else ""
        if parts[1] == "redirected":
            with open(redirect_log, "a") as f:
                f.write("authorization=%s\n" % ("present" if self.headers.get("Authorization") else "absent"))
            return self.send(200, blobs[parts[-1]], "application/octet-stream")
        if fault == "redirect" and not self.headers.get("Authorization"):
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                             extra={"WWW-Authenticate": 'Basic realm="hostile"'})
        key = (fault, parts[-2], parts[-1])
        counts[key] = counts.get(key, 0) + 1
        if parts[-2] == "manifests":
            if fault == "flaky" and counts[key] == 1:
                return self.send(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}')
            if fault == "broken":
                return self.send(200, b"<html>not a manifest</html>", "text/html")
            body = variant(fault)
            return self.send(200, body, json.loads(body).get("mediaType", "application/json"),
                             {"Docker-Content-Digest": "sha256:" + hashlib.sha256(body).hexdigest()})
        if parts[-2] == "blobs":
            data = blobs.get(parts[-1])
            if data is None:
                return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}')
            if parts[-1] != layer["digest"]:
                return self.send(200, data, "application/octet-stream")
            if fault == "redirect":
                return self.send(307, b"", extra={"Location": "http://localhost:%d/redirected/%s" % (port, parts[-1])})
            if fault == "mismatch":
                return self.send(200, bytes(b ^ 0xff for b in data), "application/octet-stream")
            if fault == "truncated" or (fault == "flaky" and counts[key] == 1):
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            byte_range = self.headers.get("Range")
            if byte_range and byte_range.startswith("bytes="):
                start = int(byte_range[6:].split("-")[0])
                return self.send(206, data[start:], "application/octet-stream",
                                 {"Content-Range": "bytes %d-%d/%d" % (start, len(data) - 1, len(data))})
            return self.send(200, data, "application/octet-stream")
        self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}')

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
