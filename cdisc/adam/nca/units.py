"""Units of NCA parameters from the units of concentration, time and dose (PKUNIT terms where they exist).

Clearance and volume are converted to litres when the dose is a mass and the concentration a mass per
volume (mg / (h*ug/mL) = L/h); otherwise their unit is written as the quotient of the input units.
"""

from __future__ import annotations

_MASS = {"pg": -12, "ng": -9, "ug": -6, "mg": -3, "g": 0}  # powers of ten of a gram
_VOLUME = {"uL": -6, "mL": -3, "dL": -1, "L": 0}  # powers of ten of a litre

UNIT_KINDS = ("conc", "time", "auc", "rate", "clearance", "volume", "conc_dose", "auc_dose", "percent", "count", "none")


def parameter_units(conc: str | None, time: str | None, dose: str | None) -> dict[str, tuple[str | None, float]]:
    """For each unit kind, the parameter's unit and the factor that converts the computed value into it.

    >>> parameter_units("ug/mL", "h", "mg")["clearance"]
    ('L/h', 1.0)
    >>> parameter_units("ng/mL", "h", "mg")["volume"]
    ('L', 1000.0)
    """
    auc = f"{time}*{conc}" if conc and time else None
    out: dict[str, tuple[str | None, float]] = {
        "conc": (conc, 1.0), "time": (time, 1.0), "auc": (auc, 1.0), "rate": (f"/{time}" if time else None, 1.0),
        "conc_dose": (f"{conc}/{dose}" if conc and dose else None, 1.0),
        "auc_dose": (f"{auc}/{dose}" if auc and dose else None, 1.0),
        "percent": ("%", 1.0), "count": (None, 1.0), "none": (None, 1.0),
        "clearance": (f"{dose}/{auc}" if dose and auc else None, 1.0),
        "volume": (f"{dose}/({conc})" if dose and conc else None, 1.0),
    }
    mass, _, volume = (conc or "").partition("/")
    if dose in _MASS and mass in _MASS and volume in _VOLUME:
        factor = 10.0 ** (_MASS[dose] - _MASS[mass] + _VOLUME[volume])
        out["clearance"] = (f"L/{time}", factor)
        out["volume"] = ("L", factor)
    return out
