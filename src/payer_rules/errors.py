"""Errors meant for people: each names where the problem is and what was expected."""

from __future__ import annotations


class PayerRulesError(Exception):
    """Base of every error the runner reports as one line, without a traceback."""

    exit_code = 1


class InputError(PayerRulesError):
    """Input that cannot be read: ``location: what is wrong, what was expected``."""

    def __init__(self, location: str, message: str, *, claim_id: str | None = None) -> None:
        self.location = location
        self.message = message
        self.claim_id = claim_id
        super().__init__(f"{location}: {message}" if location else message)


class UsageError(PayerRulesError):
    """The command was called wrongly (unknown payer, bad option)."""

    exit_code = 2


class PluginError(PayerRulesError):
    """A plugin that does not load, or two plugins that claim one payer."""


class ConfigurationError(PayerRulesError):
    """The installed plugins and rulepacks cannot serve what was asked."""
