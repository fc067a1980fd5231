"""FHIR R4: Claim / Bundle in, ClaimResponse and ExplanationOfBenefit out."""
