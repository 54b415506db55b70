#!/usr/bin/env python3
"""A stand-in apiserver for the pod tests: HTTPS on ADDRESS:PORT, /healthz answers "ok" and every
other path "<NAME>", so a request through the VIP shows which master answered.

Usage: https_master.py ADDRESS PORT NAME CERT KEY
"""
import http.server
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok" if self.path == "/healthz" else NAME.encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # the health checks would flood the test's log
        pass


if __name__ == "__main__":
    address, port, NAME, cert, key = sys.argv[1:6]
    server = http.server.ThreadingHTTPServer((address, int(port)), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
