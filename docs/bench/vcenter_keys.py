"""Key-path latency of a KMIP server as vCenter drives it: for each key, a new TLS connection
per operation, as vCenter opens one — Create (vCenter 7.0.3's own captured request: AES-256,
Encrypt|Decrypt), Get (the key, Raw), Activate. Prints medians and p99 in milliseconds per
operation; every answer is checked for Success.

Usage: vcenter_keys.py --port P --ca CA --cert CERT --key KEY [--tls12] [--n N] --label L
"""
import socket
import struct
import time

from kmip_bench import ms, options, read_message, tls_context

# vCenter 7.0.3's Create (tests/fixtures/vcenter/vcenter-7.0.3-session.hex, the first CREATE).
CREATE = bytes.fromhex(open(__file__.replace("vcenter_keys.py", "vcenter_create.hex")).read().strip())


def item(tag, typ, value):
    """One TTLV item: tag (3 bytes), type, length, value padded to 8 bytes."""
    pad = (8 - len(value) % 8) % 8
    return tag.to_bytes(3, "big") + bytes([typ]) + struct.pack(">I", len(value)) + value + b"\0" * pad


def structure(tag, *items):
    return item(tag, 0x01, b"".join(items))


def integer(tag, v):
    return item(tag, 0x02, struct.pack(">i", v))


def enum(tag, v):
    return item(tag, 0x05, struct.pack(">I", v))


def text(tag, s):
    return item(tag, 0x07, s.encode())


def request(operation, uid):
    """A KMIP 1.1 request with one batch item naming `uid`, as vCenter sends them."""
    header = structure(
        0x420077,
        structure(0x420069, integer(0x42006A, 1), integer(0x42006B, 1)),
        integer(0x42000D, 1),
    )
    batch = structure(0x42000F, enum(0x42005C, operation), structure(0x420079, text(0x420094, uid)))
    return structure(0x420078, header, batch)


def children(buf):
    """The items of a structure's value."""
    out, i = [], 0
    while i + 8 <= len(buf):
        tag = int.from_bytes(buf[i:i + 3], "big")
        typ = buf[i + 3]
        n = struct.unpack(">I", buf[i + 4:i + 8])[0]
        out.append((tag, typ, buf[i + 8:i + 8 + n]))
        i += 8 + n + (8 - n % 8) % 8
    return out


def find(buf, path):
    for tag in path:
        buf = next(v for t, _, v in children(buf) if t == tag)
    return buf


def exchange(ctx, host, port, message):
    """One operation on its own connection; the response payload."""
    raw = socket.create_connection((host, port), timeout=30)
    tls = ctx.wrap_socket(raw, server_hostname=host)
    tls.sendall(message)
    body = read_message(tls)[8:]
    tls.close()
    batch = find(body, [0x42000F])
    status = struct.unpack(">I", find(batch, [0x42007F])[:4])[0]
    if status != 0:
        raise RuntimeError("operation failed: %r" % batch)
    return find(batch, [0x42007C])


def main():
    a = options(__doc__, 200)
    ctx = tls_context(a)
    times = {"Create": [], "Get": [], "Activate": []}
    for i in range(a.n + 5):
        t0 = time.perf_counter()
        created = exchange(ctx, a.host, a.port, CREATE)
        uid = find(created, [0x420094]).decode()
        t1 = time.perf_counter()
        key = find(exchange(ctx, a.host, a.port, request(0x0A, uid)), [0x42008F, 0x420040, 0x420045, 0x420043])
        if len(key) != 32:
            raise RuntimeError("expected a 32-byte key, got %d bytes" % len(key))
        t2 = time.perf_counter()
        exchange(ctx, a.host, a.port, request(0x12, uid))
        t3 = time.perf_counter()
        if i >= 5:  # warm-up excluded
            times["Create"].append(t1 - t0)
            times["Get"].append(t2 - t1)
            times["Activate"].append(t3 - t2)
    cells = "  ".join("%s median %.2f ms p99 %.2f ms" % (op, ms(s, 0.5), ms(s, 0.99)) for op, s in times.items())
    print("%-26s %d keys  %s" % (a.label, a.n, cells))


if __name__ == "__main__":
    main()
