"""Acme Health for payer-rules: an example third-party plugin."""

__version__ = "0.1.0"
PAYER_ID = "acme-health"
