"""pytest plugin: PyKMIP's clients speak the KMIP version in RAFTKEEP_PYKMIP_VERSION
("1.0" to "2.0") instead of their default (1.2). Loaded with `-p raftkeep_version`."""

import os

from kmip.core import enums
from kmip.services import kmip_client

_VERSIONS = {
    "1.0": enums.KMIPVersion.KMIP_1_0,
    "1.1": enums.KMIPVersion.KMIP_1_1,
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "1.3": enums.KMIPVersion.KMIP_1_3,
    "1.4": enums.KMIPVersion.KMIP_1_4,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}
_wanted = _VERSIONS[os.environ.get("RAFTKEEP_PYKMIP_VERSION", "1.2")]
_init = kmip_client.KMIPProxy.__init__


def _init_with_version(self, *args, **kwargs):
    kwargs.setdefault("kmip_version", _wanted)
    if kwargs["kmip_version"] is None:
        kwargs["kmip_version"] = _wanted
    _init(self, *args, **kwargs)


kmip_client.KMIPProxy.__init__ = _init_with_version
