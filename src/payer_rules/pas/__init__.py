"""Prior authorization over HL7 Da Vinci PAS (STU 2): requests reviewed by the payers' own rules,
numbers issued and kept, and honoured on the claims that quote them.

* :mod:`payer_rules.pas.request`: a ``Claim/$submit`` Bundle in (``use = preauthorization``).
* :mod:`payer_rules.pas.review`: each item decided by the payer's ``validate`` and ``authorize``
  rules: certified (A1) with a number, not certified (A3), pended (A4) or no action required (NA).
* :mod:`payer_rules.pas.response`: the PAS response Bundle (a PASClaimResponse).
* :mod:`payer_rules.pas.store`: the numbers issued, in the data directory.
* :mod:`payer_rules.pas.honour`: a later claim quoting a number passes the authorization edit only
  for what the number covers.

X12 278 is not read or written: its mapping to FHIR is in X12's licensed TR3, not public.
"""
