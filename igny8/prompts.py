"""Prompt templates: global rows seeded from every plugin's igny8_default_prompts, an
account's row overriding the global one. Templates are Jinja in a sandbox; each prompt
key declares the variables it may use, and a template using any other, or with a syntax
error, is refused when saved."""

from flask import current_app
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from sqlalchemy import select

from . import registry
from .extensions import db
from .models import Prompt
from .plugins import current_plugins
from .registry import DefaultPrompt
from .sandbox import LOOP, BoundedEnvironment, LimitExceeded, Limits

_ENV = BoundedEnvironment(
    undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
)


class PromptError(ValueError):
    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


def defaults() -> dict[str, DefaultPrompt]:
    found = {}
    for key, value in registry.default_prompts(current_plugins().pm).items():
        if isinstance(value, DefaultPrompt):
            found[key] = value
        else:  # a bare template string: its own variables are the allowed ones
            found[key] = DefaultPrompt(value, tuple(sorted(variables_of(value))))
    return found


def variables_of(template: str) -> set[str]:
    try:
        return meta.find_undeclared_variables(_ENV.parse(template)) - {LOOP}
    except TemplateSyntaxError as exc:
        raise PromptError(
            f"template syntax error on line {exc.lineno}: {exc.message}", {"line": exc.lineno}
        ) from None


def validate(key: str, template: str) -> None:
    """Refuse an unknown key, a syntax error, or a variable the prompt does not provide."""
    known = defaults()
    if key not in known:
        raise PromptError(f"no prompt {key!r}", {"known": sorted(known)})
    if not template or not template.strip():
        raise PromptError("a template cannot be empty")
    unknown = variables_of(template) - set(known[key].variables)
    if unknown:
        raise PromptError(
            f"unknown variable(s) {', '.join(sorted(unknown))}; "
            f"{key!r} provides: {', '.join(known[key].variables)}",
            {"unknown": sorted(unknown), "available": list(known[key].variables)},
        )


def template_for(key: str, account_id: int | None) -> tuple[str, str]:
    """(template, source) where source is "account", "global" or "default"."""
    rows = db.session.execute(
        select(Prompt.account_id, Prompt.template).where(
            Prompt.key == key, (Prompt.account_id == account_id) | Prompt.account_id.is_(None)
        )
    ).all()
    by_owner = {owner: template for owner, template in rows}
    if account_id is not None and account_id in by_owner:
        return by_owner[account_id], "account"
    if None in by_owner:
        return by_owner[None], "global"
    default = defaults().get(key)
    if default is None:
        raise PromptError(f"no prompt {key!r}")
    return default.template, "default"


def limits() -> Limits:
    """PROMPT_MAX_CHARS and PROMPT_MAX_STEPS from the config (docs/security.md)."""
    config = current_app.config
    return Limits(int(config["PROMPT_MAX_CHARS"]), int(config["PROMPT_MAX_STEPS"]))


def render(key: str, account_id: int | None, *, found=None, **variables) -> str:
    """The prompt rendered within its limits; PromptError naming the template (and whose it
    is) when it cannot be: a bound exceeded, or an error the template raised. ``found`` is
    what ``template_for`` gave, when the caller has it already."""
    template, source = found or template_for(key, account_id)
    try:
        return _ENV.render(template, limits(), **variables)
    except Exception as exc:  # noqa: BLE001 - whatever a template raises is its error
        reason = str(exc) if isinstance(exc, LimitExceeded) else f"{type(exc).__name__}: {exc}"
        raise PromptError(
            f"prompt {key!r} ({source} template) could not be rendered: {reason}",
            {"prompt": key, "source": source},
        ) from None


class Sample:
    """A stand-in for a variable a preview was not given: it renders as ``<name>``, a loop
    over it runs once, and its attributes are samples too (``<cluster.name>``)."""

    def __init__(self, name: str):
        self.name = name

    def __str__(self):
        return f"<{self.name}>"

    def __iter__(self):
        yield self

    def __len__(self):
        return 1

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return Sample(f"{self.name}.{attr}")


def preview(key: str, account_id: int, template: str | None, given: dict) -> tuple[str, dict]:
    """(the prompt rendered, the values used): ``template`` (else the account's) with
    ``given`` values and a Sample for each variable not given. Validated as a save is."""
    if template is None:
        template, _ = template_for(key, account_id)
    else:
        validate(key, template)
    allowed = defaults()[key].variables
    unknown = set(given) - set(allowed)
    if unknown:
        raise PromptError(
            f"{key!r} has no variable(s) {', '.join(sorted(unknown))}",
            {"unknown": sorted(unknown), "available": list(allowed)},
        )
    values = {name: given.get(name, Sample(name)) for name in allowed}
    rendered = render(key, account_id, found=(template, "preview"), **values)
    return rendered, {name: str(v) if isinstance(v, Sample) else v for name, v in values.items()}


def populate(reset: bool = False) -> tuple[int, int]:
    """Write the global row of every plugin's default prompt; returns (added, reset).
    Existing global rows are kept unless ``reset``; account overrides are never touched."""
    existing = {
        p.key: p
        for p in db.session.execute(select(Prompt).where(Prompt.account_id.is_(None))).scalars()
    }
    added = replaced = 0
    for key, default in sorted(defaults().items()):
        row = existing.get(key)
        if row is None:
            db.session.add(Prompt(key=key, template=default.template))
            added += 1
        elif reset and row.template != default.template:
            row.template = default.template
            replaced += 1
    return added, replaced
