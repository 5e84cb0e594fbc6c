"""``manage.py clv_fit`` and the purchase-log reader behind it.

None of these tests asks for the database: pytest-django then refuses any query, so they also
prove that the command never touches it.
"""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from analytics.clv import PurchaseLogError, fit_bgnbd, fit_gamma_gamma, read_purchase_log, summarise
from analytics.clv.purchase_log import parse_amount, parse_day

CDNOW = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cdnow"
needs_cdnow = pytest.mark.skipif(
    not (CDNOW / "CDNOW_sample.txt").exists(), reason=f"the CDNOW data set is not at {CDNOW} (shared/data/cdnow)"
)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("clv_fit", *args, stdout=out)
    return out.getvalue()


def figures(output: str) -> dict[str, str]:
    """'  label   value' lines as {label: value}; a label seen twice (Log-likelihood) keeps both, suffixed."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        match = re.fullmatch(r"  (\S.*?)\s{2,}(\S.*)", line)
        if match:
            label = match.group(1)
            while label in found:
                label += "'"
            found[label] = match.group(2)
    return found


# --- the command on CDNOW ----------------------------------------------------------------------


@needs_cdnow
def test_cdnow_sample_gives_the_published_parameters():
    output = run(str(CDNOW / "CDNOW_sample.txt"), "--format", "cdnow", "--end", "1997-09-30")
    shown = figures(output)
    assert shown["Customers"] == "2,357"
    assert shown["Repeat buyers"] == "946"
    assert shown["Repeat purchases"] == "2,457"
    assert shown["Calibration end"] == "1997-09-30"
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "gamma": 15.44}
    for name, value in published.items():
        assert abs(float(shown[name]) - value) < 0.01, name
    assert abs(float(shown["Log-likelihood"]) - -9582.4) < 0.1
    assert abs(float(shown["Log-likelihood'"]) - -4055.92) < 0.1
    assert shown["Converged"] == shown["Converged'"] == "yes"
    assert re.search(r"Elapsed\s+\d+\.\d{3} s", output)
    assert "BG/NBD" in output and "Gamma-Gamma" in output


@needs_cdnow
def test_the_end_defaults_to_the_last_purchase_in_the_file():
    shown = figures(run(str(CDNOW / "CDNOW_sample.txt")))  # the format is recognised too
    assert shown["Calibration end"] == "1998-06-30"
    assert shown["Purchases read"] == "6,919"


@needs_cdnow
def test_a_generic_csv_gives_the_same_fit_as_the_cdnow_file(tmp_path):
    """The CDNOW sample rewritten as an export (header, ISO dates, semicolons): same figures."""
    log = read_purchase_log(CDNOW / "CDNOW_sample.txt", format="cdnow")
    lines = ["Customer ID;Order date;Total"] + [
        f"{key};{day};{amount:.2f}" for key, day, amount in zip(log.customers, log.days, log.amounts, strict=True)
    ]
    export = tmp_path / "export.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from_csv = figures(run(str(export), "--end", "1997-09-30"))
    from_cdnow = figures(run(str(CDNOW / "CDNOW_sample.txt"), "--end", "1997-09-30"))
    for label in ("Customers", "Repeat buyers", "r", "alpha", "a", "b", "p", "q", "gamma", "Log-likelihood"):
        assert from_csv[label] == from_cdnow[label], label


@needs_cdnow
def test_days_as_the_unit_rescale_alpha_only():
    """The BG/NBD in days is the same model: r, a, b unchanged, alpha seven times the weekly one."""
    weeks = figures(run(str(CDNOW / "CDNOW_sample.txt"), "--end", "1997-09-30"))
    days = figures(run(str(CDNOW / "CDNOW_sample.txt"), "--end", "1997-09-30", "--unit", "days"))
    assert days["Time unit"] == "days"
    assert float(days["alpha"]) == pytest.approx(7 * float(weeks["alpha"]), rel=1e-4)
    for name in ("r", "a", "b"):
        assert float(days[name]) == pytest.approx(float(weeks[name]), rel=1e-4)


# --- the command on a small export ----------------------------------------------------------


SMALL_CSV = """\
customer,date,amount
1,2024-01-01,10
1,2024-01-01,5
1,2024-01-15,20
1,2024-01-29,40
2,2024-02-05,8
2,2024-03-10,12
3,2024-01-20,30
3,2024-02-25,"1,250.50"
4,2024-02-01,15
5,2024-02-11,7
TOTAL,,1397.50
6,2024-03-01,9
"""


def test_small_csv_is_summarised_and_fitted(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(SMALL_CSV, encoding="utf-8")
    output = run(str(path), "--end", "2024-03-31")
    shown = figures(output)
    assert shown["Purchases read"] == "11"
    assert shown["Rows skipped"] == "1 (lines 12)"  # the TOTAL line
    assert shown["Customers"] == "6"
    assert shown["Repeat buyers"] == "3"  # customer 1's two same-day purchases are one
    assert shown["Repeat purchases"] == "4"
    # The printed parameters are those of the library on the same data.
    summary = summarise(
        [1, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6],
        np.array(
            [
                *("2024-01-01", "2024-01-01", "2024-01-15", "2024-01-29"),
                *("2024-02-05", "2024-03-10", "2024-01-20", "2024-02-25"),
                *("2024-02-01", "2024-02-11", "2024-03-01"),
            ],
            dtype="datetime64[D]",
        ),
        [10, 5, 20, 40, 8, 12, 30, 1250.5, 15, 7, 9],
        end="2024-03-31",
    )
    bg = fit_bgnbd(summary.frequency, summary.recency, summary.age)
    gg = fit_gamma_gamma(summary.frequency, summary.monetary)
    assert shown["alpha"] == f"{bg.params.alpha:.6f}"
    assert shown["gamma"] == f"{gg.params.gamma:.6f}"
    assert shown["Customers fitted"] == "3"


def test_nobody_repeating_is_a_command_error(tmp_path):
    path = tmp_path / "once.csv"
    path.write_text("1,2024-01-01,10\n2,2024-01-02,20\n3,2024-01-05,5\n", encoding="utf-8")
    with pytest.raises(CommandError, match="None of the 3 customers has a repeat purchase"):
        run(str(path))


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, (), "No such file"),
        ("", (), "The file is empty"),
        ("customer,date,amount\n", (), "header but no data"),
        ("customer,date,amount\n1,yesterday,10\n2,2024-13-01,5\n", (), "No usable rows.*line 2"),
        ("name,when,amount,note\nA,2024-01-01,1,x\n", (), "No customer column in the header"),
        ("1,2024-01-01,10\n1,2024-02-01,10\n", ("--end", "2023-12-31"), "No purchase in the file is on or before"),
        ("1,2024-01-01,10\n1,2024-02-01,10\n", ("--end", "31/12/2024"), "--end must be a date"),
    ],
)
def test_unusable_input_is_a_clear_command_error(tmp_path, content, args, message):
    path = tmp_path / "log.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run(str(path), *args)


def test_a_binary_file_is_a_command_error(tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(CommandError, match="not a UTF-8 text file"):
        run(str(path))


def test_a_folder_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="is a folder"):
        run(str(tmp_path))


# --- the purchase-log reader ----------------------------------------------------------------


@needs_cdnow
def test_cdnow_master_file_is_read_whole():
    log = read_purchase_log(CDNOW / "CDNOW_master.txt")
    assert log.format == "cdnow-master"
    assert len(log) == 69_659
    assert len(np.unique(log.customers)) == 23_570
    assert log.amounts.sum() == pytest.approx(2_500_315.63, abs=0.005)
    assert (str(log.days.min()), str(log.days.max())) == ("1997-01-01", "1998-06-30")
    assert log.skipped_lines == ()


def test_persian_digits_and_a_header_in_persian(tmp_path):
    path = tmp_path / "fa.csv"
    path.write_text(
        "\ufeffکد مشتری,تاریخ,مبلغ\n۱۲,۲۰۲۴-۰۱-۰۵,۱۲٬۵۰۰\n١٢,20240110,۷٫۲۵\nabc-9,2024/2/1,3\n", encoding="utf-8"
    )
    log = read_purchase_log(path)
    assert log.format == "csv"
    assert log.customers.tolist() == ["12", "12", "abc-9"]  # one key is not a number: all stay text
    np.testing.assert_array_equal(log.days, np.array(["2024-01-05", "2024-01-10", "2024-02-01"], dtype="datetime64[D]"))
    np.testing.assert_allclose(log.amounts, [12_500, 7.25, 3])


def test_headerless_csv_with_integer_keys_and_tabs(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("0007\t2024-01-05 10:30:00\t10\n7\t2024-01-06T08:00\t5.5\n", encoding="utf-8")
    log = read_purchase_log(path)
    assert log.customers.tolist() == [7, 7]
    np.testing.assert_array_equal(log.days, np.array(["2024-01-05", "2024-01-06"], dtype="datetime64[D]"))


def test_header_columns_in_any_order(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Order total;Note;Customer_ID;Order date\n12,5;first;3;2024-05-01\n", encoding="utf-8")
    log = read_purchase_log(path)
    assert (log.customers.tolist(), log.amounts.tolist(), str(log.days[0])) == ([3], [12.5], "2024-05-01")


def test_parse_day_and_amount():
    assert str(parse_day("19970101")) == "1997-01-01"
    assert str(parse_day(" 1997-1-2 ")) == "1997-01-02"
    assert str(parse_day("۱۹۹۷-۰۱-۰۳")) == "1997-01-03"
    assert parse_day("1997-02-30") is None
    assert parse_day("1403-01-15") is None  # a Solar Hijri date, not a Gregorian one in 1403
    assert parse_day("1997-01-01x") is None
    assert parse_amount("1,234.50") == 1234.5
    assert parse_amount("12,5") == 12.5
    assert parse_amount("$ 40") == 40.0
    assert parse_amount("-3.5") == -3.5  # a refund
    assert parse_amount("1,2,3") is None
    assert parse_amount("nan") is None
    assert parse_amount("") is None


def test_reader_rejects_a_cdnow_file_of_the_wrong_shape(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("1 19970101 2\n", encoding="utf-8")
    with pytest.raises(PurchaseLogError, match="has 3 columns"):
        read_purchase_log(path, format="cdnow")
