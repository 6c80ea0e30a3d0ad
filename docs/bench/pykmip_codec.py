"""Baseline for the codec benchmark: PyKMIP decoding and encoding the same vCenter messages.

Run: python3 docs/bench/pykmip_codec.py   (needs `pip install pykmip`)
Prints ns per message for decode (bytes -> PyKMIP message objects) and encode (objects -> bytes),
for the messages `cargo bench -p kmip-messages --bench vcenter` measures.
"""

import pathlib
import timeit

from kmip.core import utils
from kmip.core.messages import messages

CAPTURE = pathlib.Path(__file__).resolve().parents[2] / "tests/fixtures/vcenter/vcenter-7.0.3-session.hex"


def captured(label):
    lines = CAPTURE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#") and line.endswith(label):
            return bytes.fromhex(next(l for l in lines[i + 1:] if l.strip()).strip())
    raise SystemExit(f"no message labelled {label}")


def measure(name, data, cls):
    def decode():
        m = cls()
        m.read(utils.BytearrayStream(data))
        return m

    def encode(m):
        out = utils.BytearrayStream()
        m.write(out)
        return out.buffer

    message = decode()
    again = bytes(encode(message))
    if again != data:
        print(f"note: PyKMIP re-encodes {name} as {len(again)} bytes, not the {len(data)} it read")
    for op, fn in (("decode", decode), ("encode", lambda: encode(message))):
        number = 2000
        best = min(timeit.repeat(fn, number=number, repeat=5)) / number
        print(f"{op}_{name}: {best * 1e9:,.0f} ns")


measure("create_request", captured("REQ ops=CREATE"), messages.RequestMessage)
measure("get_request", captured("REQ ops=GET"), messages.RequestMessage)
measure("create_response", captured("RSP ops=CREATE"), messages.ResponseMessage)
measure("get_response", captured("RSP ops=GET"), messages.ResponseMessage)
