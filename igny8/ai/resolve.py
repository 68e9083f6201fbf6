"""Which model and parameters an operation uses (DESIGN §4 rule 1). Pure functions.

The cascade, first hit wins, inactive models skipped: task override -> account
settings (only on a plan that allows overrides) -> the operation's default model ->
the global default for the model type -> the active is_default model of that type.
"""

from dataclasses import dataclass

LEVELS = ("task", "account", "operation", "global", "system_default")


class NoModelAvailable(LookupError):
    pass


@dataclass(frozen=True)
class Step:
    level: str
    model_name: str | None
    outcome: str  # chosen | not_set | inactive | wrong_type | plan_forbids_override | not_reached


@dataclass(frozen=True)
class Resolution:
    model: object
    resolved_by: str
    steps: tuple[Step, ...]


def resolve_model(model_type: str, candidates: dict, allows_overrides: bool) -> Resolution:
    """``candidates`` maps each level to a model (anything with model_name, model_type,
    is_active) or None."""
    steps, chosen, resolved_by = [], None, None
    for level in LEVELS:
        model = candidates.get(level)
        name = getattr(model, "model_name", None)
        if chosen is not None:
            outcome = "not_reached"
        elif model is None:
            outcome = "not_set"
        elif level == "account" and not allows_overrides:
            outcome = "plan_forbids_override"
        elif not model.is_active:
            outcome = "inactive"
        elif model.model_type != model_type:
            outcome = "wrong_type"
        else:
            outcome, chosen, resolved_by = "chosen", model, level
        steps.append(Step(level, name, outcome))
    if chosen is None:
        raise NoModelAvailable(f"no active {model_type} model is configured at any level")
    return Resolution(chosen, resolved_by, tuple(steps))


PARAMETERS = ("temperature", "max_tokens", "image_size", "image_quality", "image_style")


@dataclass(frozen=True)
class Parameters:
    temperature: float
    max_tokens: int
    image_size: str
    image_quality: str | None
    image_style: str | None
    sources: tuple[tuple[str, str], ...] = ()  # (parameter, "account" | "global")

    def source(self, name: str) -> str:
        return dict(self.sources)[name]


def resolve_parameters(
    global_settings, account_config: dict | None, allows_overrides: bool
) -> Parameters:
    """Account values (on a plan that allows overrides) over the global defaults;
    a missing or null account value means "use the global one"."""
    values, sources = {}, []
    config = (account_config or {}) if allows_overrides else {}
    for name in PARAMETERS:
        if config.get(name) is not None:
            values[name], source = config[name], "account"
        else:
            values[name], source = getattr(global_settings, f"default_{name}"), "global"
        sources.append((name, source))
    return Parameters(**values, sources=tuple(sources))
