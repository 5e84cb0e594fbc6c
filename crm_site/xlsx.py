"""A small streaming .xlsx writer for exports.

openpyxl's write-only mode spends about 0.5 ms per row of two dozen cells building XML in Python,
which puts a 100,000-customer export near a minute. A list export needs one sheet of plain
values, a bold header, frozen first row, column widths, an auto-filter and optionally a
right-to-left sheet; this writer produces exactly that, streaming rows into the zip entry as it
goes, in about a tenth of the time and constant memory. Imports still read with openpyxl.

Strings are written as inline strings, which Excel never evaluates as formulas.
"""

import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO
from xml.sax.saxutils import escape

_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001  (Excel serial dates count from here, zone-less)
# XML 1.0 cannot hold these control characters (pasted into an address, say).
_ILLEGAL = dict.fromkeys([*range(9), 11, 12, *range(14, 32)])
_FLUSH_EVERY = 500  # rows buffered before they are written to the zip entry

# Cell styles, by index into cellXfs below.
_HEADER, _DATE, _DATETIME = 1, 2, 3

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _attribute(value: str) -> str:
    return escape(value, {'"': "&quot;"})


class XlsxWriter:
    """Write one sheet: ``XlsxWriter(target, sheet_name=..., headers=[...])``, then
    ``write_row(values)`` for each row, then ``close()`` (or use it as a context manager).

    Values may be str, int, float, Decimal, bool, date, datetime (naive, already in local
    time: Excel has no time zones) or None for an empty cell.
    """

    def __init__(
        self,
        target: IO[bytes],
        *,
        sheet_name: str,
        headers: Sequence[str],
        widths: Sequence[float] | None = None,
        right_to_left: bool = False,
    ) -> None:
        self.sheet_name = sheet_name[:31] or "Sheet1"
        self.columns = len(headers)
        self.letters = [column_letter(i) for i in range(self.columns)]
        self.rows = 0
        self.buffer: list[str] = []
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.zip.writestr("[Content_Types].xml", _CONTENT_TYPES)
        self.zip.writestr("_rels/.rels", _ROOT_RELS)
        self.zip.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        self.zip.writestr("xl/styles.xml", _STYLES)
        self.sheet = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        view = ' rightToLeft="1"' if right_to_left else ""
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
            for i, width in enumerate(widths or [], start=1)
        )
        self.sheet.write(
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<sheetViews><sheetView workbookViewId="0"{view}>'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                "</sheetView></sheetViews>"
                f"{f'<cols>{cols}</cols>' if cols else ''}<sheetData>"
            ).encode()
        )
        self.write_row(headers, style=_HEADER)

    def write_row(self, values: Sequence, *, style: int = 0) -> None:
        self.rows += 1
        number = self.rows
        cells = []
        for letter, value in zip(self.letters, values, strict=False):
            if value is None or value == "":
                continue
            reference = f"{letter}{number}"
            styled = f' s="{style}"' if style else ""
            if isinstance(value, str):
                text = escape(value.translate(_ILLEGAL))
                cells.append(
                    f'<c r="{reference}"{styled} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                )
            elif isinstance(value, bool):
                cells.append(f'<c r="{reference}"{styled} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float | Decimal):
                cells.append(f'<c r="{reference}"{styled}><v>{value}</v></c>')
            elif isinstance(value, datetime):
                serial = (value.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
                cells.append(f'<c r="{reference}" s="{_DATETIME}"><v>{serial!r}</v></c>')
            elif isinstance(value, date):
                serial = (datetime.combine(value, time()) - _EPOCH).days
                cells.append(f'<c r="{reference}" s="{_DATE}"><v>{serial}</v></c>')
            else:
                text = escape(str(value).translate(_ILLEGAL))
                cells.append(
                    f'<c r="{reference}"{styled} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                )
        self.buffer.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(self.buffer) >= _FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        self.sheet.write("".join(self.buffer).encode())
        self.buffer.clear()

    def close(self) -> None:
        self._flush()
        last = f"{self.letters[-1]}{self.rows}" if self.columns else "A1"
        self.sheet.write(f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>'.encode())
        self.sheet.close()
        name = _attribute(self.sheet_name)
        quoted = self.sheet_name.replace("'", "''")
        last_column = self.letters[-1] if self.columns else "A"
        filter_range = escape(f"'{quoted}'!$A$1:${last_column}${self.rows}")
        self.zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
            '<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"{filter_range}</definedName>"
            "</definedNames></workbook>",
        )
        self.zip.close()

    def __enter__(self) -> "XlsxWriter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
