"""First-request latency of a KMIP server as vCenter feels it.

vCenter opens a new TLS connection for nearly every operation and starts it with an empty
Discover Versions (KMIP 1.1). This client does the same N times: connect, handshake, send
vCenter's own captured request, read the whole response; then a second request on the same
connection as the steady-state reference. Prints medians and p99 in milliseconds.

Usage: kmip_first_request.py --port P --ca CA --cert CERT --key KEY [--tls12] [--n N] --label L
"""
import socket
import statistics
import time

from kmip_bench import ms, options, read_message, tls_context

# vCenter 7.0.3's first request (tests/fixtures/vcenter/vcenter-7.0.3-session.hex, message 0).
REQUEST = bytes.fromhex(
    "42007801000000604200770100000038420069010000002042006a02000000040000000100000000"
    "42006b0200000004000000010000000042000d0200000004000000010000000042000f0100000018"
    "42005c05000000040000001e000000004200790100000000"
)


def exchange(sock):
    sock.sendall(REQUEST)
    message = read_message(sock)
    if message[:3] != bytes.fromhex("42007b"):
        raise ValueError("not a KMIP response")
    return message


def main():
    a = options(__doc__, 300)
    ctx = tls_context(a)
    handshake, first, second, version = [], [], [], None
    for i in range(a.n + 5):
        t0 = time.perf_counter()
        raw = socket.create_connection((a.host, a.port), timeout=10)
        tls = ctx.wrap_socket(raw, server_hostname=a.host)
        t1 = time.perf_counter()
        exchange(tls)
        t2 = time.perf_counter()
        exchange(tls)
        t3 = time.perf_counter()
        version = tls.version()
        tls.close()
        if i >= 5:  # warm-up excluded
            handshake.append(t1 - t0)
            first.append(t2 - t1)
            second.append(t3 - t2)
    print(
        f"{a.label:<28} {version:<8} n={a.n}  connect+handshake {statistics.median(handshake) * 1000:6.2f} ms"
        f" (p99 {ms(handshake, 0.99):6.2f})  first request {statistics.median(first) * 1000:6.2f} ms"
        f" (p99 {ms(first, 0.99):6.2f})  second request {statistics.median(second) * 1000:6.2f} ms"
        f" (p99 {ms(second, 0.99):6.2f})"
    )


if __name__ == "__main__":
    main()
