"""X12 interchange: 837P / 837I claims in, 835 remittance out."""
