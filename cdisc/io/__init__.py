"""File formats behind the public modules: SAS XPORT v5 (used through :mod:`cdisc.xpt`)."""
