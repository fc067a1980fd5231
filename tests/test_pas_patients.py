"""An authorization is issued for a patient, and only that patient's claims use its units.

A subscriber (Jane Doe, the policy holder) and her dependant (John Doe, her child) share the
subscriber's member id: the 837 carries the dependant in the patient loop (2000C, NM1*QC and
DMG) under the subscriber's (2000B), FHIR as ``Claim.patient`` beside ``Coverage.subscriber`` /
``beneficiary``, claim JSON as ``patient`` beside ``subscriber``. BluePeak's pack requires an
authorization for a brain MRI (70553, BPK101); each patient gets their own, 3 units from
2026-05-04 to 2026-05-29, and what is left is worked in each test from those 3 units.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from payer_rules.cli import cli
from payer_rules.io.claims import claim_from_dict
from payer_rules.io.fhir.writer import claim_bundle, dumps
from payer_rules.io.x12.writer_837 import claims_to_837

from .test_pas import billed_claim, brain_mri_request, claim_response, codes, judge, review_action, submit

AUTHORIZED = 3
SUBSCRIBER = {
    "id": "member-1",
    "last_name": "Doe",
    "first_name": "Jane",
    "birth_date": "1955-03-14",
    "sex": "F",
}
DEPENDANT = {
    "id": "dependant-1",
    "last_name": "Doe",
    "first_name": "John",
    "birth_date": "2012-07-01",
    "sex": "M",
}


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "data"
    monkeypatch.setenv("PAYER_RULES_DATA_DIR", str(directory))
    monkeypatch.setenv("PAYER_RULES_LOAD_PLUGINS", "medicare,commercial,codesets")
    return directory


def certify(tmp_path: Path, dependant: bool) -> str:
    """A PAS request for 3 brain MRIs from BluePeak, for the subscriber or her dependant."""
    data = brain_mri_request()
    claim = data["entry"][0]["resource"]
    item = claim["item"][0]
    item["quantity"] = {"value": AUTHORIZED}
    item.pop("servicedDate", None)
    item["servicedPeriod"] = {"start": "2026-05-04", "end": "2026-05-29"}
    if dependant:
        claim["patient"] = {"reference": "Patient/dependant-1"}
        data["entry"].append(
            {
                "fullUrl": "http://example.org/fhir/Patient/dependant-1",
                "resource": {
                    "resourceType": "Patient",
                    "id": "dependant-1",
                    "name": [{"family": "Doe", "given": ["John"]}],
                    "gender": "male",
                    "birthDate": "2012-07-01",
                },
            }
        )
        for entry in data["entry"]:
            resource = entry["resource"]
            if resource["resourceType"] == "Coverage":
                resource["subscriber"] = {"reference": "Patient/member-1"}
                resource["beneficiary"] = {"reference": "Patient/dependant-1"}
                resource["relationship"]["coding"][0]["code"] = "child"
    path = tmp_path / f"mri-{'dependant' if dependant else 'subscriber'}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    bundle, result = submit(path, tmp_path, payer="bluepeak")
    assert result.exit_code == 0, result.output
    response = claim_response(bundle)
    number: str = response["preAuthRef"]
    assert review_action(response["item"][0])[:2] == ("A1", number)
    return number


def mri(number: str, claim_id: str, units: int, day: str, *, dependant: bool) -> dict[str, Any]:
    claim = {
        **billed_claim(number, id=claim_id, procedure="70553", units=str(units), service_date=day),
        "diagnoses": [{"code": "G43.909"}],
        "place_of_service": "22",
    }
    if dependant:
        claim["patient"] = dict(DEPENDANT)
        claim["subscriber"] = dict(SUBSCRIBER)
        claim["coverage"] = {**claim["coverage"], "relationship": "child"}
    else:
        claim["patient"] = dict(SUBSCRIBER)
    return claim


def honoured(result: dict[str, Any]) -> bool:
    found = codes(result)
    if "ENG021" in found:
        assert "BPK101" not in found and "ENG022" not in found, result["findings"]
        return True
    assert {"BPK101", "ENG022"} <= found, result["findings"]
    return False


def why(result: dict[str, Any]) -> str:
    [message] = [f["message"] for f in result["findings"] if f["code"] == "ENG022"]
    return str(message)


def test_a_dependants_claim_cannot_use_the_subscribers_authorization(data_dir, tmp_path):
    hers = certify(tmp_path, dependant=False)
    judged = judge([mri(hers, "HIS-ON-HERS", 1, "2026-05-04", dependant=True)], tmp_path, payer="bluepeak")
    assert not honoured(judged["HIS-ON-HERS"])
    assert "was issued for another patient" in why(judged["HIS-ON-HERS"])
    # nothing was used: all 3 are left for her
    assert honoured(
        judge([mri(hers, "HERS", 3, "2026-05-05", dependant=False)], tmp_path, payer="bluepeak")["HERS"]
    )


def test_the_837_patient_loop_and_the_fhir_patient_tell_the_dependant_apart(data_dir, tmp_path):
    """The 837 carries the dependant in 2000C (PAT, NM1*QC, DMG) under the subscriber's 2000B;
    FHIR as ``Claim.patient`` beside the Coverage's subscriber. Each of his claims uses only his
    authorization, whichever format it comes in."""
    hers, his = certify(tmp_path, dependant=False), certify(tmp_path, dependant=True)
    claims = [
        claim_from_dict(mri(hers, "ON-HERS", 1, "2026-05-04", dependant=True)),
        claim_from_dict(mri(his, "ON-HIS", 1, "2026-05-05", dependant=True)),
    ]
    x12 = claims_to_837(claims)
    assert "*23*0~\nPAT*19~\nNM1*QC*1*Doe*John~\nDMG*D8*20120701*M~" in x12
    for name, text in (("claims.837", x12), ("claims.fhir.json", dumps(claim_bundle(claims)))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out = tmp_path / f"{name}.out.json"
        result = CliRunner().invoke(
            cli, ["adjudicate", str(path), "--payer", "bluepeak", "--format", "json", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        judged = {r["claim_id"]: r for r in json.loads(out.read_text(encoding="utf-8"))}
        assert not honoured(judged["ON-HERS"]), name
        assert "was issued for another patient" in why(judged["ON-HERS"]), name
        assert honoured(judged["ON-HIS"]), name


def test_two_patients_claims_with_one_claim_id_do_not_take_each_others_place(data_dir, tmp_path):
    """A claim id (the patient control number) is the provider's: two providers, or one, may
    number two patients' claims alike. Her claim P-1 uses all 3 of her units; his claim P-1 on
    his own authorization is another claim, not hers sent again, so it gives none of hers back."""
    hers, his = certify(tmp_path, dependant=False), certify(tmp_path, dependant=True)
    same_run = judge(
        [
            mri(hers, "P-1", 3, "2026-05-04", dependant=False),
            mri(his, "P-1", 1, "2026-05-05", dependant=True),
            mri(hers, "P-2", 1, "2026-05-06", dependant=False),
        ],
        tmp_path,
        payer="bluepeak",
    )
    # the results are keyed by claim id: the two P-1 come back in input order
    assert not honoured(same_run["P-2"])
    assert f"{hers} authorizes {AUTHORIZED} unit(s) of 70553, 3 used by earlier claims (P-1 3)" in why(
        same_run["P-2"]
    )
    # and in the next run, from what this one recorded: her 3 are used, his 1 of 3
    later = judge(
        [
            mri(hers, "P-3", 1, "2026-05-07", dependant=False),
            mri(his, "P-4", 2, "2026-05-08", dependant=True),
        ],
        tmp_path,
        payer="bluepeak",
    )
    assert not honoured(later["P-3"]) and honoured(later["P-4"])


#: ``authorizations.sqlite`` as the releases before patients were told apart wrote it.
_OLD_SCHEMA = """
CREATE TABLE authorizations (
    number TEXT NOT NULL, payer TEXT NOT NULL, member_id TEXT NOT NULL, npis TEXT NOT NULL,
    procedure TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL, units TEXT NOT NULL,
    item INTEGER NOT NULL, request TEXT NOT NULL, issued TEXT NOT NULL,
    PRIMARY KEY (number, item));
CREATE TABLE authorization_units (
    number TEXT NOT NULL, item INTEGER NOT NULL, payer TEXT NOT NULL, member_id TEXT NOT NULL,
    claim_id TEXT NOT NULL, line INTEGER NOT NULL, units TEXT NOT NULL,
    PRIMARY KEY (number, item, payer, member_id, claim_id, line));
CREATE INDEX authorization_units_claim ON authorization_units (payer, member_id, claim_id);
"""


def test_an_authorizations_file_written_before_patients_keeps_working(data_dir, tmp_path):
    """An old authorization names no patient: any patient of its member may use it, as before;
    an old claim's use counts for every patient of the member (whose it was is unknown) until that
    claim is judged again."""
    data_dir.mkdir()
    conn = sqlite3.connect(data_dir / "authorizations.sqlite")
    with conn:
        conn.executescript(_OLD_SCHEMA)
        conn.execute(
            "INSERT INTO authorizations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                "PAOLD000000001",
                "bluepeak",
                "1EG4TE5MK72",
                '["1234567893"]',
                "70553",
                "2026-05-04",
                "2026-05-29",
                "3",
                1,
                "PA-OLD",
                "2026-04-20",
            ),
        )
        conn.execute(
            "INSERT INTO authorization_units VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("PAOLD000000001", 1, "bluepeak", "1EG4TE5MK72", "OLD-1", 1, "1"),
        )
    conn.close()
    number = "PAOLD000000001"
    # read as it is (read-only): OLD-1's 1 counts, 2 are left; his claim may use the old number
    first = judge([mri(number, "NEW-1", 2, "2026-05-05", dependant=True)], tmp_path, payer="bluepeak")
    assert honoured(first["NEW-1"])
    full = judge([mri(number, "NEW-2", 1, "2026-05-06", dependant=False)], tmp_path, payer="bluepeak")
    assert not honoured(full["NEW-2"])
    assert "3 used by earlier claims (NEW-1 2, OLD-1 1)" in why(full["NEW-2"])
    # OLD-1 judged again (hers) takes the place of its old row: it uses 1 again, nothing more
    again = judge([mri(number, "OLD-1", 1, "2026-05-04", dependant=False)], tmp_path, payer="bluepeak")
    assert honoured(again["OLD-1"])
    conn = sqlite3.connect(data_dir / "authorizations.sqlite")
    rows = conn.execute(
        "SELECT claim_id, patient, units FROM authorization_units ORDER BY claim_id"
    ).fetchall()
    issued = conn.execute(
        "SELECT number, patient_last, patient_first, patient_birth FROM authorizations"
    ).fetchall()
    conn.close()
    assert rows == [("NEW-1", "DOE|JOHN|2012-07-01", "2"), ("OLD-1", "DOE|JANE|1955-03-14", "1")]
    assert issued == [(number, "", "", "")]
