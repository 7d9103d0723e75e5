#!/usr/bin/env python3
"""A Docker-Hub-style token server for the registry tests (the distribution token spec).

GET  /token?service=S&scope=repository:NAME:ACTIONS  (Basic auth optional)
POST /token  (OAuth2 form: grant_type=password|refresh_token, username, password, scope, service)

Users come from a file of `user:password:rule` lines; a rule is `rw` (pull and push anywhere),
`ro` (pull anywhere). Anonymous clients may pull repositories under `public/` only. Tokens are
RS256 JWTs with an x5c header, signed with `openssl dgst -sha256 -sign`. Every request is
appended to a log file so tests can count what a client asked for.
"""
import base64, json, os, subprocess, sys, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

port, key, cert, users_file, issuer, log_file = sys.argv[1:7]

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True, capture_output=True).stdout
users = {}
with open(users_file) as f:
    for line in f:
        parts = line.strip().split(":")
        if len(parts) == 3:
            users[parts[0]] = (parts[1], parts[2])
refresh_tokens = {}

def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                               check=True, capture_output=True).stdout
    return signing_input + "." + b64url(signature)

def granted(user, scopes):
    access = []
    for scope in scopes:
        parts = scope.split(":")
        if len(parts) < 3 or parts[0] != "repository":
            continue
        name, wanted = ":".join(parts[1:-1]), parts[-1].split(",")
        if user is None:
            allowed = ["pull"] if name.startswith("public/") else []
        else:
            allowed = ["pull", "push"] if users[user][1] == "rw" else ["pull"]
        actions = [a for a in wanted if a in allowed]
        access.append({"type": "repository", "name": name, "actions": actions})
    return access

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def record(self, what):
        with open(log_file, "a") as f:
            f.write(what + "\n")

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def issue(self, user, service, scopes, refresh=False):
        now = int(time.time())
        claims = {"iss": issuer, "sub": user or "", "aud": service, "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": str(uuid.uuid4()), "access": granted(user, scopes)}
        body = {"token": sign(claims), "access_token": "", "expires_in": 300}
        body["access_token"] = body["token"]
        if refresh and user:
            token = str(uuid.uuid4())
            refresh_tokens[token] = user
            body["refresh_token"] = token
        self.answer(200, body)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        scopes = query.get("scope", [])
        self.record("GET " + " ".join(scopes))
        user = None
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            name, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if name not in users or users[name][0] != password:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid user name or password"}]})
            user = name
        self.issue(user, query.get("service", [""])[0], [s for scope in scopes for s in scope.split(" ")])

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        grant = form.get("grant_type", [""])[0]
        scopes = " ".join(form.get("scope", [])).split()
        self.record("POST " + grant + " " + " ".join(scopes))
        if grant == "password":
            name, password = form.get("username", [""])[0], form.get("password", [""])[0]
            if name not in users or users[name][0] != password:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid user name or password"}]})
            return self.issue(name, form.get("service", [""])[0], scopes, refresh=True)
        if grant == "refresh_token":
            name = refresh_tokens.get(form.get("refresh_token", [""])[0])
            if name is None:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid refresh token"}]})
            return self.issue(name, form.get("service", [""])[0], scopes)
        self.answer(400, {"error": "unsupported_grant_type"})

ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
