"""CSV (UTF-8 with BOM) and XLSX exports: formula injection, Japanese, 10,000 rows."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.services.exports import BOM, csv_chunks, neutralise, write_xlsx
from tests.factories import gen_person
from tests.factories_hr import gen_bulk_credentials, gen_staff

EVIL = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']


@pytest.mark.parametrize("value", EVIL)
def test_neutralise_formula_triggers(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"),
    [("佐藤", "佐藤"), ("a=b", "a=b"), (12, 12), (-3, -3), (1.5, 1.5), (None, None), ("", "")],
)
def test_neutralise_leaves_safe_values(value, expected):
    assert neutralise(value) == expected


def read_csv(body: str) -> list[list[str]]:
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_writer_streams_with_bom_and_crlf():
    chunks = list(csv_chunks(["名前"], ([f"職員{i}"] for i in range(1200))))
    assert len(chunks) > 2  # streamed in pieces
    text = "".join(chunks)
    assert text.startswith(BOM + "名前\r\n職員0\r\n")
    assert len(read_csv(text)) == 1201


def test_xlsx_writer_never_writes_formulas():
    with write_xlsx(["=head", "値"], [[v, 1] for v in EVIL], sheet_title="試験") as fh:
        sheet = load_workbook(fh)["試験"]
    values = [c.value for c in sheet["A"]]
    expected = ["'=head", *("'" + v for v in EVIL)]
    assert [v.replace("\r", "\n") for v in values] == [v.replace("\r", "\n") for v in expected]
    assert all(v.startswith("'") for v in values)
    assert all(c.data_type == "s" for c in sheet["A"])
    assert sheet["B2"].value == 1


def test_roster_export_neutralises_injected_names(client, login_as, world):
    gen_person(
        world.pref,
        name='=HYPERLINK("http://evil","x")',
        name_kana="@evil",
        section=world.dx,
        staff_number="-1",
    )
    db.session.commit()
    login_as(world.hr)
    response = client.get("/hr/exports/roster.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    rows = read_csv(response.get_data(as_text=True))
    assert rows[0][:3] == ["職員番号", "氏名", "ふりがな"]
    evil = next(r for r in rows if "HYPERLINK" in r[1])
    assert evil[0] == "'-1" and evil[1].startswith("'=") and evil[2] == "'@evil"
    sato = next(r for r in rows if r[1] == "佐藤 花子")
    assert sato[3:7] == ["総務部", "人事課", "T1 T2", "L1"]
    assert sato[7]  # L1 certification expiry date

    xlsx = client.get("/hr/exports/roster.xlsx")
    assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    names = [c.value for c in sheet["B"]]
    assert "佐藤 花子" in names
    assert next(n for n in names if "HYPERLINK" in n).startswith("'=")
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_roster_export_follows_the_filters(client, login_as, world):
    login_as(world.hr)
    rows = read_csv(
        client.get("/hr/exports/roster.csv", query_string={"tier": "T1"}).get_data(as_text=True)
    )
    assert sorted(r[1] for r in rows[1:]) == ["佐藤 花子", "鈴木 太郎"]
    rows = read_csv(
        client.get("/hr/exports/roster.csv", query_string={"q": "すずき"}).get_data(as_text=True)
    )
    assert [r[1] for r in rows[1:]] == ["鈴木 太郎"]


def test_badge_holders_export(client, login_as, world):
    login_as(world.hr)
    rows = read_csv(client.get("/hr/exports/badges.csv").get_data(as_text=True))
    assert len(rows) == 1 + 8  # header; sato 4, suzuki 1, tanaka 3
    t1 = world.cat["T1"].id
    rows = read_csv(
        client.get("/hr/exports/badges.csv", query_string={"achievement": t1}).get_data(
            as_text=True
        )
    )
    assert sorted(r[1] for r in rows[1:]) == ["佐藤 花子", "鈴木 太郎"]
    assert (
        client.get("/hr/exports/badges.csv", query_string={"achievement": 99999}).status_code == 404
    )


@pytest.mark.slow
def test_ten_thousand_row_exports(client, login_as, world):
    ids = gen_staff(world.pref, world.dx, 10_000)
    gen_bulk_credentials(ids, world.cat["T1"])
    db.session.commit()
    login_as(world.hr)
    response = client.get("/hr/exports/roster.csv")
    rows = read_csv(response.get_data(as_text=True))
    assert len(rows) == 1 + 10_000 + 5
    xlsx = client.get("/hr/exports/roster.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) == 1 + 10_000 + 5
    holders = read_csv(client.get("/hr/exports/badges.csv").get_data(as_text=True))
    assert len(holders) == 1 + 10_000 + 8
