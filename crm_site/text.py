"""Text clean-up shared by every input and every search.

Persian is typed on several keyboards: Arabic ي/ك instead of Persian ی/ک, Persian (۰-۹) or
Arabic-Indic (٠-٩) digits, zero-width non-joiners inside words. Normalising both what is saved and
what is searched for makes a search find a name whichever keyboard typed it.
"""

import re

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "0123456789" * 2)
# Arabic code points that Persian keyboards in the wild produce for Persian letters.
_ARABIC_TO_PERSIAN = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
# Looser folding for matching only: hamza forms and the ezafe heh are spelled either way.
_SEARCH_FOLD = str.maketrans({"ۀ": "ه", "ة": "ه", "ؤ": "و", "إ": "ا", "أ": "ا"})
_ZERO_WIDTH = re.compile("[\u200c\u200d\u200e\u200f\ufeff]")
_SPACES = re.compile(r"\s+")


def normalize_digits(value: str) -> str:
    """'۰۹۱۲' and '٠٩١٢' (as typed on Persian and Arabic keyboards) both become '0912'."""
    return value.translate(_DIGITS)


def normalize_text(value: str) -> str:
    """For saving: Persian letters and ASCII digits, single spaces, no stray edges."""
    text = normalize_digits(str(value or "")).translate(_ARABIC_TO_PERSIAN)
    return _SPACES.sub(" ", text).strip()


def search_key(value: str) -> str:
    """For matching: ``normalize_text`` folded to lower case, with zero-width joiners removed
    (so "می‌خواهم" and "میخواهم" match)."""
    return _ZERO_WIDTH.sub("", normalize_text(value)).translate(_SEARCH_FOLD).casefold()
