"""How a handler tells the consumer loop what a failure means.

Raise :class:`TransientError` (or any unexpected exception) to have the message redelivered with backoff;
raise :class:`PermanentError` when retrying can never help, so the message goes to the DLQ at once.
"""

from __future__ import annotations


class TransientError(Exception):
    """Retry later: a dependency is down, a conflict may clear, a lock is held."""


class PermanentError(Exception):
    """Never retry: the message is understood but cannot be acted on."""


class ConfigError(Exception):
    """A configuration value is wrong; the message names the key and what is allowed."""
