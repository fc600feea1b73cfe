"""cdisc: raw EDC extracts to SDTM and ADaM, as SAS XPORT v5 with define.xml, from YAML specs."""

__version__ = "0.1.0"
