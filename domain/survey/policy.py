"""The Survei Kepuasan Masyarakat (SKM) as policy data: PermenPAN-RB 14/2017
(Pedoman Penyusunan Survei Kepuasan Masyarakat Unit Penyelenggara Pelayanan Publik).

What the regulation fixes: the nine elements (unsur), the answer scale 1-4, the equal
weight of the elements (1/9 each), the index IKM = weighted sum x 25, the four quality
categories on the converted index, and the minimum sample by the table of Krejcie and
Morgan for the unit's population of service users. What it leaves open and Kinerja
chooses is marked "choice" below (and in the README's rules section).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Element(StrEnum):
    """The nine elements (unsur) of the regulation, in its order."""

    REQUIREMENTS = "persyaratan"
    PROCEDURE = "prosedur"
    """Sistem, mekanisme dan prosedur."""
    TIME = "waktu"
    """Waktu penyelesaian."""
    COST = "biaya"
    """Biaya/tarif."""
    PRODUCT = "produk"
    """Produk spesifikasi jenis pelayanan."""
    COMPETENCE = "kompetensi"
    """Kompetensi pelaksana."""
    BEHAVIOUR = "perilaku"
    """Perilaku pelaksana."""
    COMPLAINTS = "pengaduan"
    """Penanganan pengaduan, saran dan masukan."""
    FACILITIES = "sarana"
    """Sarana dan prasarana."""


ELEMENTS: tuple[Element, ...] = tuple(Element)


class Sex(StrEnum):
    MALE = "laki_laki"
    FEMALE = "perempuan"


class AgeGroup(StrEnum):
    """Choice: the regulation's questionnaire asks the age; Kinerja asks its group (no
    exact age of an anonymous respondent is kept)."""

    UNDER_20 = "lt20"
    FROM_20 = "20_29"
    FROM_30 = "30_39"
    FROM_40 = "40_49"
    FROM_50 = "50_59"
    FROM_60 = "60plus"


class Education(StrEnum):
    """The regulation's questionnaire: SD ke bawah, SMP, SMA, D1-D3-D4, S1, S2, S3."""

    SD = "sd"
    SMP = "smp"
    SMA = "sma"
    DIPLOMA = "diploma"
    S1 = "s1"
    S2 = "s2"
    S3 = "s3"


class Occupation(StrEnum):
    """The regulation's questionnaire: PNS, TNI, POLRI, swasta, wirausaha, lainnya
    (choice: pelajar/mahasiswa added, a frequent user of public services)."""

    PNS = "pns"
    TNI = "tni"
    POLRI = "polri"
    PRIVATE = "swasta"
    SELF_EMPLOYED = "wirausaha"
    STUDENT = "pelajar"
    OTHER = "lainnya"


class Category(StrEnum):
    """Mutu pelayanan, on the converted index (IKM)."""

    A = "A"
    """Sangat Baik."""
    B = "B"
    """Baik."""
    C = "C"
    """Kurang Baik."""
    D = "D"
    """Tidak Baik."""


class Period(StrEnum):
    """How responses are grouped in time. Choice: the regulation asks for a survey at
    least once a year and lets the unit choose the period; Kinerja groups by semester
    (``2026-S1``: January-June, ``2026-S2``: July-December, in the agency's zone)."""

    SEMESTER = "semester"


class SurveyPolicy(BaseModel):
    """Everything that makes the SKM computation; another regulation changes this."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    elements: tuple[Element, ...]
    scale_min: int
    scale_max: int
    index_factor: int
    """IKM = (sum of NRR x weight) x factor: 25 turns the 1-4 scale into 25-100."""
    index_places: int
    """The IKM and NRR are shown (and categorised) rounded half up to these places."""
    nrr_places: int
    categories: tuple[tuple[Category, Decimal], ...]
    """Each category with its lowest converted index, best first (D from 25.00)."""
    krejcie_morgan: tuple[tuple[int, int], ...]
    """(population N, minimum sample S) rows of the table, by population ascending. A
    population between two rows takes the row above it (the larger sample: choice, the
    table gives no interpolation); above the last row, the last sample."""
    period: Period
    comment_max_length: int
    """Choice: the optional comment's length."""
    submissions_per_client: int
    """Choice: at most this many responses from one client address per unit ..."""
    submission_window_seconds: int
    """... in this many seconds (a service counter's tablet sends many: see README)."""
    form_token_seconds: int
    """How long a served form may be sent (its signed token's age)."""


KREJCIE_MORGAN: tuple[tuple[int, int], ...] = (
    (10, 10), (15, 14), (20, 19), (25, 24), (30, 28), (35, 32), (40, 36), (45, 40),
    (50, 44), (55, 48), (60, 52), (65, 56), (70, 59), (75, 63), (80, 66), (85, 70),
    (90, 73), (95, 76), (100, 80), (110, 86), (120, 92), (130, 97), (140, 103), (150, 108),
    (160, 113), (170, 118), (180, 123), (190, 127), (200, 132), (210, 136), (220, 140),
    (230, 144), (240, 148), (250, 152), (260, 155), (270, 159), (280, 162), (290, 165),
    (300, 169), (320, 175), (340, 181), (360, 186), (380, 191), (400, 196), (420, 201),
    (440, 205), (460, 210), (480, 214), (500, 217), (550, 226), (600, 234), (650, 242),
    (700, 248), (750, 254), (800, 260), (850, 265), (900, 269), (950, 274), (1000, 278),
    (1100, 285), (1200, 291), (1300, 297), (1400, 302), (1500, 306), (1600, 310),
    (1700, 313), (1800, 317), (1900, 320), (2000, 322), (2200, 327), (2400, 331),
    (2600, 335), (2800, 338), (3000, 341), (3500, 346), (4000, 351), (4500, 354),
    (5000, 357), (6000, 361), (7000, 364), (8000, 367), (9000, 368), (10000, 370),
    (15000, 375), (20000, 377), (30000, 379), (40000, 380), (50000, 381), (75000, 382),
    (1000000, 384),
)
"""Krejcie, R. V. & Morgan, D. W. (1970), "Determining Sample Size for Research
Activities", Educational and Psychological Measurement 30, 607-610, Table 1: the table
PermenPAN-RB 14/2017's annex (Bab III, penentuan sampel) refers units to for the
minimum number of respondents given the population of service users of the period
(95% confidence, 5% margin, p = 0.5)."""


SKM_14_2017 = SurveyPolicy(
    name="permenpan-rb-14-2017",
    title="PermenPAN-RB 14/2017: Survei Kepuasan Masyarakat",
    elements=ELEMENTS,
    scale_min=1,
    scale_max=4,
    index_factor=25,
    index_places=2,
    nrr_places=2,
    categories=((Category.A, Decimal("88.31")), (Category.B, Decimal("76.61")),
                (Category.C, Decimal("65.00")), (Category.D, Decimal("25.00"))),
    krejcie_morgan=KREJCIE_MORGAN,
    period=Period.SEMESTER,
    comment_max_length=1000,
    submissions_per_client=5,
    submission_window_seconds=600,
    form_token_seconds=4 * 3600,
)
"""The built-in policy."""
