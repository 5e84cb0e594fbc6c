"""Iran's provinces (the geography the customer file and segments filter on)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.TextChoices):
    ALBORZ = "alborz", _("Alborz")
    ARDABIL = "ardabil", _("Ardabil")
    BUSHEHR = "bushehr", _("Bushehr")
    CHAHARMAHAL = "chaharmahal-bakhtiari", _("Chaharmahal and Bakhtiari")
    EAST_AZERBAIJAN = "east-azerbaijan", _("East Azerbaijan")
    FARS = "fars", _("Fars")
    GILAN = "gilan", _("Gilan")
    GOLESTAN = "golestan", _("Golestan")
    HAMADAN = "hamadan", _("Hamadan")
    HORMOZGAN = "hormozgan", _("Hormozgan")
    ILAM = "ilam", _("Ilam")
    ISFAHAN = "isfahan", _("Isfahan")
    KERMAN = "kerman", _("Kerman")
    KERMANSHAH = "kermanshah", _("Kermanshah")
    KHUZESTAN = "khuzestan", _("Khuzestan")
    KOHGILUYEH = "kohgiluyeh-boyer-ahmad", _("Kohgiluyeh and Boyer-Ahmad")
    KURDISTAN = "kurdistan", _("Kurdistan")
    LORESTAN = "lorestan", _("Lorestan")
    MARKAZI = "markazi", _("Markazi")
    MAZANDARAN = "mazandaran", _("Mazandaran")
    NORTH_KHORASAN = "north-khorasan", _("North Khorasan")
    QAZVIN = "qazvin", _("Qazvin")
    QOM = "qom", _("Qom")
    RAZAVI_KHORASAN = "razavi-khorasan", _("Razavi Khorasan")
    SEMNAN = "semnan", _("Semnan")
    SISTAN_BALUCHESTAN = "sistan-baluchestan", _("Sistan and Baluchestan")
    SOUTH_KHORASAN = "south-khorasan", _("South Khorasan")
    TEHRAN = "tehran", _("Tehran")
    WEST_AZERBAIJAN = "west-azerbaijan", _("West Azerbaijan")
    YAZD = "yazd", _("Yazd")
    ZANJAN = "zanjan", _("Zanjan")
