"""Readers and writers for claims and results: JSON here, X12 and FHIR beside it."""
