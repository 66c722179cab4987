"""vwo_fme: the VWO Feature Management & Experimentation SDK for Python, backed by the native
``vwo-fme`` engine (a Rust library loaded with ctypes).

Drop-in for the official ``vwo`` package::

    from vwo_fme import init, StorageConnector, LogLevelEnum, getUUID

    client = init({"sdk_key": "...", "account_id": "123456"})
    flag = client.get_flag("feature_key", {"id": "user-1"})
    if flag.is_enabled():
        print(flag.get_variable("title", "default"))
"""

from ._native import ABI_VERSION, LIBRARY_VERSION
from .client import GetFlag, VWOClient, VWOClientClosedError, getUUID, init
from .enums import LogLevelEnum
from .storage import StorageConnector

__version__ = "0.1.0"

__all__ = [
    "init",
    "getUUID",
    "VWOClient",
    "GetFlag",
    "StorageConnector",
    "LogLevelEnum",
    "VWOClientClosedError",
    "LIBRARY_VERSION",
    "ABI_VERSION",
    "__version__",
]
