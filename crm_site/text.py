"""Text clean-up shared by every input: Persian and Arabic-Indic digits become ASCII digits."""

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)


def normalize_digits(value: str) -> str:
    """'۰۹۱۲' and '٠٩١٢' (as typed on Persian and Arabic keyboards) both become '0912'."""
    return value.translate(_DIGITS)
