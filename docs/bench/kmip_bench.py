"""What the KMIP benchmark clients share: command-line options, the TLS context, reading one
whole message, percentiles."""
import argparse
import ssl


def options(doc, default_n):
    """The common options: server port, certificates, TLS 1.2, N, label."""
    p = argparse.ArgumentParser(description=doc)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--tls12", action="store_true")
    p.add_argument("--n", type=int, default=default_n)
    p.add_argument("--label", required=True)
    return p.parse_args()


def tls_context(a):
    """A client context with the client certificate, TLS 1.2 only if asked."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    ctx.load_cert_chain(a.cert, a.key)
    if a.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    return buf


def read_message(sock):
    """One whole TTLV message: the 8-byte header gives the length."""
    header = recv_exact(sock, 8)
    return header + recv_exact(sock, int.from_bytes(header[4:8], "big"))


def ms(samples, q):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(q * len(samples)))] * 1000
