#!/usr/bin/env python3
# A tiny whoami HTTP server for the model pods, answering in the text format of traefik/whoami:
# Hostname, every IP of this network namespace, RemoteAddr (the client as this pod sees it),
# then the request line and headers. Pods share the host's hostname (there is no UTS namespace
# per pod here), so the pod's name is passed in with --name.
# usage: whoami.py --name POD [--port 80]
import argparse
import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def local_ips():
    out = subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True, check=True).stdout
    return [a["local"] for link in json.loads(out) for a in link.get("addr_info", [])]


def handler(name, ips):
    class Whoami(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            lines = [f"Hostname: {name}", *(f"IP: {ip}" for ip in ips)]
            lines.append(f"RemoteAddr: {self.client_address[0]}:{self.client_address[1]}")
            lines.append(self.requestline)
            lines += [f"{k}: {v}" for k, v in self.headers.items()]
            body = ("\n".join(lines) + "\n\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write(f"{self.client_address[0]}:{self.client_address[1]} {fmt % args}\n")
            sys.stderr.flush()

    return Whoami


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, default=80)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("0.0.0.0", args.port), handler(args.name, local_ips()))
    server.daemon_threads = True
    print(f"whoami {args.name} listening on :{args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
