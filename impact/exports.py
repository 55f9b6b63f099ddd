"""The figures of each village for each point of a period (a month of a year, a day of a month),
as a table for CSV and XLSX: what an NGO hands its funders. Column headers carry the Chinese
label, the figure's key and its IRIS+ code where it has one ("打款给农户 paid_out (IRIS+ PI7852)"),
so the file reads in both languages and maps onto IRIS+ reports.

Money is written as Decimal to the fen, ratios as Decimal to 4 places, counts as int, a figure
that has no value (a ratio over nothing) as an empty cell: never a float."""

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _

from core.money import FEN

from .figures import FIGURES, series
from .periods import Period

XLSX_MONEY_FORMAT = "0.00"
XLSX_RATIO_FORMAT = "0.0000"
RATIO = Decimal("0.0001")


def figure_header(key: str) -> str:
    definition = FIGURES[key]
    code = f" (IRIS+ {definition.iris})" if definition.iris else ""
    return f"{definition.label} {key}{code}"


def headers() -> list[str]:
    return [
        _("Village ID"),
        _("Province"),
        _("County"),
        _("Village"),
        _("Period"),
        _("From"),
        _("To"),
        *(figure_header(key) for key in FIGURES),
    ]


def cell(key: str, value):
    if value is None:
        return None
    unit = FIGURES[key].unit
    if unit == "money":
        return Decimal(value).quantize(FEN)
    if unit == "ratio":
        return Decimal(value).quantize(RATIO)
    return int(value)


def rows(villages, period: Period):
    """One row per village (a Village queryset) per point of the period, in village order."""
    for village in villages.select_related("county__province").order_by("pk"):
        for point, figures in series([village.pk], period):
            yield [
                village.pk,
                village.county.province.name,
                village.county.name,
                village.name,
                str(point),
                point.start,
                point.end,
                *(cell(key, figures[key]) for key in FIGURES),
            ]


def as_csv(villages, period: Period) -> str:
    """UTF-8 text with a byte-order mark, so Excel in China opens the Chinese right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(headers())
    for row in rows(villages, period):
        writer.writerow(
            ["" if value is None else value.isoformat() if hasattr(value, "isoformat") else value for value in row]
        )
    return out.getvalue()


def as_xlsx(villages, period: Period) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = str(period)[:31].replace("..", "_")
    sheet.append(headers())
    formats = {
        7 + i: XLSX_MONEY_FORMAT if FIGURES[key].unit == "money" else XLSX_RATIO_FORMAT
        for i, key in enumerate(FIGURES)
        if FIGURES[key].unit in ("money", "ratio")
    }
    for row in rows(villages, period):
        sheet.append(row)
        for column, number_format in formats.items():
            sheet.cell(row=sheet.max_row, column=column + 1).number_format = number_format
        for column in (5, 6):
            sheet.cell(row=sheet.max_row, column=column + 1).number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
