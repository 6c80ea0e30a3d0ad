"""Gets one key through one server, over and over, with PyKMIP's own client: a client that
knows nothing of Raftkeep (no failover, no vendor extensions), as vCenter knows nothing of it.

Each Get opens its own TLS connection, as vCenter does. One JSON line per Get on stdout:
{"t": seconds since start, "ok": bool, "error": "..."}; a Get counts as answered only when
the key material has the expected length. Bounded: stops after DURATION seconds.

Usage: read_loop.py HOST PORT CA CERT KEY UID DURATION INTERVAL [KEY_BYTES]
"""

import json
import sys
import time

from kmip import enums
from kmip.pie.client import ProxyKmipClient


def main():
    host, port, ca, cert, key, uid = sys.argv[1:7]
    duration, interval = float(sys.argv[7]), float(sys.argv[8])
    key_bytes = int(sys.argv[9]) if len(sys.argv) > 9 else 32
    start = time.monotonic()
    while time.monotonic() - start < duration:
        began = time.monotonic()
        line = {"t": round(began - start, 3)}
        try:
            with ProxyKmipClient(
                hostname=host,
                port=int(port),
                cert=cert,
                key=key,
                ca=ca,
                ssl_version="PROTOCOL_SSLv23",
                kmip_version=enums.KMIPVersion.KMIP_1_2,
            ) as client:
                value = client.get(uid).value
            line["ok"] = len(value) == key_bytes
            if not line["ok"]:
                line["error"] = f"{len(value)} bytes of key material"
        except Exception as e:  # every failure is what the test counts
            line["ok"] = False
            line["error"] = f"{type(e).__name__}: {e}"
        line["ms"] = round((time.monotonic() - began) * 1000, 1)
        print(json.dumps(line), flush=True)
        time.sleep(max(0.0, interval - (time.monotonic() - began)))


if __name__ == "__main__":
    main()
