"""A tiny HTTP backend: answers every request with its pod name, then closes the connection.

One thread and no framework on purpose: the latency the lab measures should be the network
path's, not a web server's. usage: python3 backend.py NAME PORT
"""
import socket
import sys

name, port = sys.argv[1], int(sys.argv[2])
body = f"{name}\n".encode()
reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(512)
while True:
    conn, _ = srv.accept()
    try:
        conn.settimeout(2)  # a client that never sends must not stall the others
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 8192:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        conn.sendall(reply)
    except OSError:
        pass
    finally:
        conn.close()
