"""Reports a dataset spec asks ``cdisc run`` to write beside the data (``reports:``), as spec models.

Each entry names one kind of report and its parameters; :mod:`cdisc.reports.datasets` renders them.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from cdisc.spec.base import Expr, SpecModel
from cdisc.spec.names import Name


class MeanConcentrationPlot(SpecModel):
    """A PNG per ``by_vars`` group (e.g. analyte and profile): mean (SD) ``value`` against nominal ``time``, one line
    per ``group_var`` value (e.g. dose level), on a linear and a log scale."""

    by_vars: list[Name] = Field(min_length=1, description="One plot per group, titled with the group's values")
    group_var: Name = Field(description="One line per value, e.g. the actual treatment or dose level")
    time: Name = Field(description="Nominal time, e.g. NRRLT")
    value: Name = Field("AVAL", description="The concentration")
    unit: Name | None = Field("AVALU", description="Variable holding the concentration unit")
    time_unit: str = Field("h", description="Unit of the time axis")
    filter: Expr | None = Field(None, description="Only records meeting this condition are summarised")


class PkParameterSummary(SpecModel):
    """A text listing per ``by_vars`` group and parameter: N, geometric mean, geometric CV%, median, min and max."""

    by_vars: list[Name] = Field(min_length=1, description="Rows per group, e.g. analyte, profile and dose level")
    param: Name = Field("PARAMCD", description="The parameter code")
    value: Name = Field("AVAL", description="The parameter value")
    unit: Name | None = Field("AVALU", description="Variable holding the unit")
    filter: Expr | None = Field(None, description="Only records meeting this condition are summarised")
    title: str = Field("PK parameters: geometric mean and geometric CV% (NE: not estimable)")


class KmSummary(SpecModel):
    """Time-to-event parameters (ADTTE): median time (months) with 95% CI by Kaplan-Meier per ``group_var`` value and
    overall, as a text listing ``<dataset>_km_summary.txt``, and a Kaplan-Meier plot per parameter (``<dataset>_km_<param>.png``)."""

    params: list[str] = Field(min_length=1, description="The PARAMCDs summarised (AVAL in days, CNSR 0 an event)")
    group_var: Name | None = Field(None, description="One row (and curve) per value, e.g. the dose level")
    group_label: str = Field("Group", description="The heading of the group column")
    filter: Expr | None = Field(None, description="Only records meeting this condition are summarised")


class ResponseRates(SpecModel):
    """Y/N response parameters (ADRS): rate (%) with the exact Clopper-Pearson 95% CI per ``group_var`` value and
    overall, as a text listing ``<dataset>_response_rates.txt``."""

    params: list[str] = Field(min_length=1, description="The PARAMCDs summarised (AVALC Y or N)")
    group_var: Name | None = Field(None, description="One row per value, e.g. the dose level")
    group_label: str = Field("Group", description="The heading of the group column")
    filter: Expr | None = Field(None, description="Only records meeting this condition are summarised")


class ConcordanceListing(SpecModel):
    """Where the ``derived`` parameter's AVALC differs from the ``investigator`` parameter's at the same ``keys``
    (subject and visit), with why (which ``components`` differ), as ``<dataset>_concordance.txt``."""

    derived: str = Field(description="PARAMCD of the derived response")
    investigator: str = Field(description="PARAMCD of the investigator's response")
    keys: list[Name] = Field(default_factory=lambda: ["USUBJID", "AVISITN"], description="One response per these")
    components: list[Name] = Field(default_factory=list, description="Variables compared to say why they differ")
    filter: Expr | None = Field(None, description="Only records meeting this condition are compared")


class DatasetReport(SpecModel):
    """One report of the dataset, written into ``reports/`` by ``cdisc run``: give exactly one kind."""

    mean_concentration_plot: MeanConcentrationPlot | None = None
    pk_parameter_summary: PkParameterSummary | None = None
    km_summary: KmSummary | None = None
    response_rates: ResponseRates | None = None
    concordance_listing: ConcordanceListing | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> DatasetReport:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "cdisc_report", "give exactly one report kind per list item ({kinds}); found {found}",
                {"kinds": ", ".join(type(self).model_fields), "found": ", ".join(given) or "none"},
            )
        return self

    @property
    def kind(self) -> tuple[str, MeanConcentrationPlot | PkParameterSummary | KmSummary | ResponseRates | ConcordanceListing]:
        name = next(n for n in type(self).model_fields if getattr(self, n) is not None)
        return name, getattr(self, name)
