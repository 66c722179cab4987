"""The storage connector interface, as in the official SDK."""

from typing import Any, Dict, Optional


class StorageConnector:
    """Base class for storage connectors (subclassing is optional: calls are duck-typed).

    ``get(key, user_id)`` returns the record stored for a feature key (or a
    ``_vwo_meta_meg_{groupId}`` key) and a user, or ``None``. ``set(value)`` receives a dict
    with camelCase keys (``featureKey``, ``userId``, ``rolloutKey``, ``rolloutVariationId``,
    ``experimentKey``, ``experimentVariationId``, ...) and stores it. Both are synchronous and
    run on the thread that called ``get_flag``. An exception in ``get`` is logged and taken as
    "no record"; an exception in ``set`` is logged.
    """

    def get(self, key: str, user_id: str) -> Optional[Dict[str, Any]]:
        pass

    def set(self, value: Dict[str, Any]) -> None:
        pass
