"""Medicare ambulatory surgical center (ASC) facility claims: CMS's ASC addenda, the ASC's
wage index, and the ASC payment policies (42 CFR 416 subpart F; Pub. 100-04 Ch. 14).

``importer.py`` reads addenda AA / BB / EE / FF by quarter, ``wage_index.py`` the ASCs' own
wage-index records, ``tables.py`` answers what was in force on a date of service and
``pricing.py`` prices a claim from them.
"""

from __future__ import annotations
