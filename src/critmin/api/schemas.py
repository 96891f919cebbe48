"""Request (input) and response (output) models of the API, kept apart on purpose."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Yaml = Field(min_length=1, max_length=1_000_000, description="the document as YAML text")


class In(BaseModel):
    """Inputs reject unknown fields and wrong JSON types.

    A misspelt field must not be silently ignored, and ``"samples": true`` or ``"budget": "1e9"``
    must not be coerced into a number (pydantic's lax mode would read ``true`` as 1); strict mode
    still takes a JSON integer where a float is expected.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


# -- inputs ----------------------------------------------------------------------------------


class DocIn(In):
    """A scenario or plan to save."""

    name: str = Field(min_length=1, max_length=200)
    yaml: str = Yaml


class ValidateIn(In):
    """YAML text to check without saving it."""

    yaml: str = Field(max_length=1_000_000)


class RunIn(In):
    """A simulation run: a saved scenario or YAML text, and the sample count."""

    scenario_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    scenario_yaml: str | None = Field(default=None, min_length=1, max_length=1_000_000)
    samples: int | None = Field(default=None, ge=1, le=200_000,
                                description="default: the scenario's own")  # fmt: skip
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)

    @model_validator(mode="after")
    def _one_scenario(self) -> RunIn:
        if (self.scenario_id is None) == (self.scenario_yaml is None):
            raise ValueError("give exactly one of scenario_id or scenario_yaml")
        return self


class EvaluateIn(In):
    """A plan evaluated against a scenario (each saved or given as YAML text)."""

    plan_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    plan_yaml: str | None = Field(default=None, min_length=1, max_length=1_000_000)
    scenario_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    scenario_yaml: str | None = Field(
        default=None, min_length=1, max_length=1_000_000,
        description="default (with no scenario_id): the standard risk scenario",
    )  # fmt: skip
    samples: int | None = Field(default=None, ge=1, le=2000,
                                description="default: the scenario's own")  # fmt: skip
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)

    @model_validator(mode="after")
    def _one_each(self) -> EvaluateIn:
        if (self.plan_id is None) == (self.plan_yaml is None):
            raise ValueError("give exactly one of plan_id or plan_yaml")
        if self.scenario_id is not None and self.scenario_yaml is not None:
            raise ValueError("give at most one of scenario_id or scenario_yaml")
        return self


class ItemsIn(In):
    """Two plans to set side by side, item by item (each saved or given as YAML text)."""

    plan_a_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    plan_a_yaml: str | None = Field(default=None, min_length=1, max_length=1_000_000)
    plan_b_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    plan_b_yaml: str | None = Field(default=None, min_length=1, max_length=1_000_000)

    @model_validator(mode="after")
    def _one_each(self) -> ItemsIn:
        for k in ("a", "b"):
            if (getattr(self, f"plan_{k}_id") is None) == (getattr(self, f"plan_{k}_yaml") is None):
                raise ValueError(f"give exactly one of plan_{k}_id or plan_{k}_yaml")
        return self


class OptimizeIn(In):
    """A budget to allocate across levers (the standard scenario unless one is given)."""

    budget: float = Field(ge=0, le=1e13, allow_inf_nan=False, description="USD")
    samples: int | None = Field(default=None, ge=1, le=500,
                                description="default: the scenario's own")  # fmt: skip
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    scenario_yaml: str | None = Field(default=None, min_length=1, max_length=1_000_000)
    compare_plan_yaml: str | None = Field(default=None, min_length=1, max_length=1_000_000)
    objective: str | None = Field(
        default=None, max_length=200,
        description="objective or weights, e.g. 'ai' (default) or 'ai:1,unmet:0.5' "
        "(ai, unmet, co2e; docs/decisions/0024)",
    )  # fmt: skip
    limits: dict[str, float] | None = Field(
        default=None, description="bounds on objectives, e.g. {'co2e': 5e6} (USD or t CO2e)"
    )
    pareto: int = Field(default=0, ge=0, le=20, description="points on the Pareto frontier")
    pareto_axes: str | None = Field(default=None, max_length=100,
                                    description="two objectives, e.g. 'ai,co2e'")  # fmt: skip
    ai_rule: Literal["auto", "central", "priority", "pro_rata"] = Field(
        default="auto",
        description="who bears a shortfall in the AI objective: auto (central, or pro_rata when "
        "the central rule leaves no AI output at risk), central, priority (AI served first, the "
        "lower bound) or pro_rata (every use alike, the upper bound); decision 0033",
    )

    @model_validator(mode="after")
    def _objectives(self) -> OptimizeIn:
        from critmin.policy import objectives as ob

        if self.objective is not None:
            ob.parse_weights(self.objective)
        for k, v in (self.limits or {}).items():
            if ob.canonical(k) not in ob.OPTIMISABLE:
                raise ValueError(f"limits.{k}: {ob.ECONOMIC_LOSS_MISSING}")
            if v != v or v in (float("inf"), float("-inf")):
                raise ValueError(f"limits.{k}: a finite number")
        if self.pareto_axes is not None:
            axes = [ob.canonical(a) for a in self.pareto_axes.split(",")]
            if len(axes) != 2 or axes[0] == axes[1] or any(a not in ob.OPTIMISABLE for a in axes):
                raise ValueError("pareto_axes: two different objectives of ai, unmet, co2e")
        return self


# -- outputs ---------------------------------------------------------------------------------


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    data_version: str


class DocCreated(BaseModel):
    id: str
    name: str
    created: str


class DocSummary(BaseModel):
    id: str
    name: str
    created: str
    updated: str | None = None


class Doc(DocSummary):
    yaml: str


class ProblemOut(BaseModel):
    line: int | None
    field: str | None
    expected: str
    got: str
    message: str


class Validation(BaseModel):
    valid: bool
    problems: list[ProblemOut]
    name: str | None = None
    minerals_touched: list[str] = []


class RunAccepted(BaseModel):
    id: str
    status: str


class Run(BaseModel):
    id: str
    kind: str
    status: str
    progress: float
    params: dict[str, Any]
    seed: int | None
    samples: int | None
    data_version: str | None
    created: str
    started: str | None
    finished: str | None
    elapsed_s: float | None
    error: str | None
    files: list[str] = []


class Message(BaseModel):
    detail: str


Rows = list[dict[str, Any]]
