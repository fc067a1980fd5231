"""The Medicare Physician Fee Schedule: CMS's RVU bundle imported, and looked up by date of service.

- :mod:`.importer` reads the official bundle (PPRRVU, GPCI, locality/county and ZIP5 files) by
  header, not by position, into ``medicare-mpfs.sqlite``.
- :mod:`.schedule` answers "the RVU row, the GPCI and the conversion factor for this code,
  locality and year", from the imported tables when they hold the year, else the starter pack.
"""
