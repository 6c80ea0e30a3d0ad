"""PyKMIP 0.11.0's server on 127.0.0.1 for the side-by-side first-request benchmark: the same
certificates as the raftkeep node, TLS 1.2 (PyKMIP's strongest auth suite), client
certificates required, state in a temporary directory.

Usage: pykmip_server.py --port P --ca CA --cert CERT --key KEY --dir DIR
"""
import argparse
import os

from kmip.services.server import KmipServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--dir", required=True)
    a = p.parse_args()
    policies = os.path.join(a.dir, "policies")
    os.makedirs(policies, exist_ok=True)
    server = KmipServer(
        hostname="127.0.0.1",
        port=a.port,
        certificate_path=a.cert,
        key_path=a.key,
        ca_path=a.ca,
        auth_suite="TLS1.2",
        config_path=None,
        log_path=os.path.join(a.dir, "pykmip.log"),
        policy_path=policies,
        enable_tls_client_auth=True,
        logging_level="WARNING",
        database_path=os.path.join(a.dir, "pykmip.db"),
    )
    with server:
        server.serve()


if __name__ == "__main__":
    main()
