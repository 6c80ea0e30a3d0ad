"""libmongocrypt, the code every MongoDB driver uses for client-side field level encryption,
driven through PyPI's pymongocrypt without a MongoDB server: the key vault is a list in this
process, and KMIP requests go to a Raftkeep node over mutual TLS.

For each mode — libmongocrypt's default (it Registers a 96-byte Secret Data, Activates and
Gets it) and `delegated: true` (it Creates an AES-256 key and Encrypts / Decrypts the data key
with it on the server, AES-CBC with a server-chosen IV) — six checks: a data key is made and
stored in the vault; a value encrypts (no plaintext in the result); it decrypts; a second
encrypter holding only the vault decrypts it too, and had to ask the KMIP server to unwrap the
data key; deterministic encryption gives the same ciphertext twice, which decrypts.

Usage: python data_keys.py HOST:PORT CA CERT KEY
Prints one line per step and mode; exits non-zero on the first failure.
"""

import socket
import ssl
import sys

import bson
from pymongocrypt.options import MongoCryptOptions
from pymongocrypt.synchronous.explicit_encrypter import ExplicitEncrypter
from pymongocrypt.synchronous.state_machine import MongoCryptCallback

ENDPOINT, CA, CERT, KEY = sys.argv[1:5]
RANDOM = "AEAD_AES_256_CBC_HMAC_SHA_512-Random"
DETERMINISTIC = "AEAD_AES_256_CBC_HMAC_SHA_512-Deterministic"


class Vault(MongoCryptCallback):
    """A key vault in memory; KMIP over TLS with Python's ssl."""

    def __init__(self, keys):
        self.keys = keys
        self.tls = ssl.create_default_context(cafile=CA)
        self.tls.load_cert_chain(CERT, KEY)
        self.kmip_requests = 0

    def kms_request(self, kms_context):
        host, port = kms_context.endpoint.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=30) as raw:
            with self.tls.wrap_socket(raw, server_hostname=host) as conn:
                conn.sendall(kms_context.message)
                while kms_context.bytes_needed > 0:
                    data = conn.recv(kms_context.bytes_needed)
                    if not data:
                        raise OSError("the KMIP server closed the connection")
                    kms_context.feed(data)
        self.kmip_requests += 1

    def collection_info(self, database, filter):
        raise NotImplementedError("explicit encryption only")

    def mark_command(self, database, cmd):
        raise NotImplementedError("explicit encryption only")

    def fetch_keys(self, filter):
        yield from self.keys

    def insert_data_key(self, data_key):
        self.keys.append(data_key)
        return bson.decode(data_key)["_id"]

    def bson_encode(self, doc):
        return bson.encode(doc)

    def close(self):
        pass


def encrypter(keys):
    vault = Vault(keys)
    options = MongoCryptOptions({"kmip": {"endpoint": ENDPOINT}})
    return vault, ExplicitEncrypter(vault, options)


def value(v):
    return bson.encode({"v": v})


def step(mode, name, ok):
    print(f"{mode}: {name}: {'ok' if ok else 'FAILED'}", flush=True)
    if not ok:
        sys.exit(1)


for mode, master_key in [
    ("default", {}),
    ("delegated", {"delegated": True}),
]:
    keys = []
    vault, enc = encrypter(keys)
    key_id = enc.create_data_key("kmip", master_key=master_key)
    step(mode, "create data key", key_id is not None and len(keys) == 1)
    secret = value("4111 1111 1111 1111")
    sealed = enc.encrypt(secret, RANDOM, key_id=bytes(key_id))
    step(mode, "encrypt", sealed != secret and b"4111" not in sealed)
    step(mode, "decrypt", enc.decrypt(sealed) == secret)
    # A new encrypter, the same vault: the data key is unwrapped through KMIP again.
    vault2, enc2 = encrypter(keys)
    step(mode, "decrypt after a restart", enc2.decrypt(sealed) == secret)
    step(mode, "the restart asked the KMIP server", vault2.kmip_requests > 0)
    first = enc2.encrypt(value("same"), DETERMINISTIC, key_id=bytes(key_id))
    second = enc2.encrypt(value("same"), DETERMINISTIC, key_id=bytes(key_id))
    step(mode, "deterministic encryption", first == second and enc.decrypt(first) == value("same"))
