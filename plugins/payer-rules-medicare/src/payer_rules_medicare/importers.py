"""The importers this plugin offers to ``payer-rules data import KIND PATHS...``.

Each importer's module is imported when it runs (:func:`~payer_rules.store.imported_on_call`).
"""

from __future__ import annotations

from payer_rules.store import ImporterInfo, imported_on_call

IMPORTERS = (
    ImporterInfo(
        kind="mpfs",
        summary="CMS physician fee schedule RVU bundle (dir: PPRRVU, GPCI, LOCCO, ANES CSVs; ZIP5 file)",
        run=imported_on_call("payer_rules_medicare.mpfs.importer:import_mpfs"),
    ),
    ImporterInfo(
        kind="anesthesia-base-units",
        summary="CMS anesthesia base units by CPT code (CSV: code and Base Unit columns), one year",
        run=imported_on_call("payer_rules_medicare.anesthesia:import_base_units"),
    ),
    ImporterInfo(
        kind="asp",
        summary="CMS quarterly ASP pricing file for Part B drugs and vaccines (CSV, 508 version)",
        run=imported_on_call("payer_rules_medicare.drugs:import_asp"),
    ),
    ImporterInfo(
        kind="clfs",
        summary="CMS clinical laboratory fee schedule CSV (CLFS yyyy Qn)",
        run=imported_on_call("payer_rules_medicare.clfs:import_clfs"),
    ),
    ImporterInfo(
        kind="ncd-lab",
        summary="CMS lab NCD ICD-10-CM code lists (NCD coding policy manual and change report, as text)",
        run=imported_on_call("payer_rules_medicare.ncd_lists:import_ncd_lab"),
    ),
    ImporterInfo(
        kind="ncci-ptp",
        summary="NCCI practitioner procedure-to-procedure edits (ccipra-vNNNrN-f1..f4 .txt)",
        run=imported_on_call("payer_rules_medicare.ncci.ptp:import_ptp"),
    ),
    ImporterInfo(
        kind="ncci-mue",
        summary="NCCI practitioner services MUE table (MCR_MUE_PractitionerServices_Eff_*.csv)",
        run=imported_on_call("payer_rules_medicare.ncci.mue:import_mue"),
    ),
    ImporterInfo(
        kind="asc",
        summary="CMS ASC payment addenda AA / BB / EE / FF (a quarter's CSVs, or a folder per quarter)",
        run=imported_on_call("payer_rules_medicare.asc.importer:import_asc"),
    ),
    ImporterInfo(
        kind="asc-wage-index",
        summary="ASC wage index records (TOML: [[asc]] npi / ccn, cbsa, wage_index, dates, source)",
        run=imported_on_call("payer_rules_medicare.asc.wage_index:import_wage_index"),
    ),
    ImporterInfo(
        kind="ipps-table5",
        summary="IPPS final rule Table 5: MS-DRG relative weights, GMLOS, transfer flags (.txt)",
        run=imported_on_call("payer_rules_medicare.inpatient.table5:import_table5"),
    ),
    ImporterInfo(
        kind="ipps-provider",
        summary="your hospital's IPPS record: CCN, CBSA, wage index, CCRs, IME / DSH (TOML)",
        run=imported_on_call("payer_rules_medicare.inpatient.providers:import_provider_records"),
    ),
    ImporterInfo(
        kind="ipps-psf",
        summary="CMS Inpatient Provider Specific File CSV (+ a CBSA wage index CSV)",
        run=imported_on_call("payer_rules_medicare.inpatient.psf:import_psf"),
    ),
)
