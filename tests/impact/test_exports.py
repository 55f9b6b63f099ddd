"""CSV and XLSX exports: headers carry the IRIS+ codes and Chinese labels; values equal the
figures (money as exact numbers with two decimals); only the user's villages."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from impact.figures import FIGURES, series
from impact.periods import buckets

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def read_xlsx(response) -> list[dict]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    return [dict(zip(headers, [cell.value for cell in row], strict=True)) for row in rows[1:]]


def header(rows, key) -> str:
    (name,) = [name for name in rows[0] if name.split(" ")[-1] == key or f" {key} (IRIS+" in name]
    return name


def test_csv_headers_and_values_equal_the_figures(client, world):
    client.force_login(world.officer_a)
    response = client.get(f"/ngo/impact/export.csv?period={world.period_text}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    headers = list(rows[0])
    assert "打款给农户 paid_out (IRIS+ PI7852)" in headers or any(
        h.endswith("paid_out (IRIS+ PI7852)") for h in headers
    )
    assert any(h.endswith("farmers_share (IRIS+ PI8632)") for h in headers)
    assert {row[headers[0]] for row in rows} == {str(world.village_a.pk)}
    assert len(rows) == len(buckets(world.period))
    expected = series([world.village_a.pk], world.period)
    for row, (point, values) in zip(rows, expected, strict=True):
        assert row[headers[4]] == str(point)
        for key, definition in FIGURES.items():
            cell = row[header(rows, key)]
            value = values[key]
            if value is None:
                assert cell == ""
            elif definition.unit == "money":
                assert cell == f"{value:.2f}"
            else:
                assert Decimal(cell) == value
    paid_header = header(rows, "paid_out")
    assert sum(Decimal(row[paid_header]) for row in rows) > 0


def test_xlsx_headers_and_values_equal_the_figures(client, world):
    client.force_login(world.operator)
    response = client.get(f"/ngo/impact/export.xlsx?period={world.period_text}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    headers = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    paid_column = next(i for i, h in enumerate(headers) if h.endswith("paid_out (IRIS+ PI7852)"))
    rows = list(sheet.iter_rows(min_row=2))
    assert {row[0].value for row in rows} == {world.village_a.pk, world.village_b.pk}
    for village in (world.village_a, world.village_b):
        mine = [row for row in rows if row[0].value == village.pk]
        expected = series([village.pk], world.period)
        for row, (_point, values) in zip(mine, expected, strict=True):
            cell = row[paid_column]
            assert cell.number_format == "0.00"
            assert Decimal(str(cell.value)).quantize(Decimal("0.01")) == values.paid_out


def test_exports_of_one_village(client, world):
    client.force_login(world.officer_b)
    response = client.get(f"/ngo/impact/export.csv?period={world.period_text}&village={world.village_b.pk}")
    rows = read_csv(response)
    assert {row[next(iter(row))] for row in rows} == {str(world.village_b.pk)}
    response = client.get(f"/ngo/impact/export.xlsx?period={world.period_text}")
    assert {row[next(iter(row))] for row in read_xlsx(response)} == {world.village_b.pk}
