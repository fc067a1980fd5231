"""Comparing payers: one batch judged by several payers, differences and summaries."""
