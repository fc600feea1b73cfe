"""Non-compartmental analysis (NCA): PK parameters per subject, analyte and profile.

``derive_param_nca`` is the entry point (a long concentration dataset in, one record per profile and
parameter out); :mod:`~cdisc.adam.nca.parameters` is the registry of parameters, :mod:`~cdisc.adam.nca.settings`
the choices (method, BLQ rule, acceptance limits), :mod:`~cdisc.adam.nca.curve` the areas and
:mod:`~cdisc.adam.nca.lambda_z` the terminal-phase fits, all computed for every profile at once.
"""

from cdisc.adam.nca.derive import derive_param_nca
from cdisc.adam.nca.parameters import (
    PARAMETERS,
    Profiles,
    compute_profiles,
    evaluation_order,
    parameter,
    reported_codes,
)
from cdisc.adam.nca.settings import BlqSettings, NcaSettings

__all__ = [
    "PARAMETERS",
    "BlqSettings",
    "NcaSettings",
    "Profiles",
    "compute_profiles",
    "derive_param_nca",
    "evaluation_order",
    "parameter",
    "reported_codes",
]
