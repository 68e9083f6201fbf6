"""Accounts, users, tokens and credits from the command line."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .. import accounts
from ..billing import ledger
from ..extensions import db
from ..models import CreditTransaction


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise click.BadParameter(f"{email!r} is not an email address", param_hint="--email")
    return email


def _check_password(password: str | None) -> None:
    if password is not None and len(password) < 8:
        raise click.BadParameter("must be at least 8 characters", param_hint="--password")


@click.command("create-admin")
@with_appcontext
@click.option("--email", required=True)
@click.option("--password", required=True)
def create_admin(email, password):
    """Create a platform admin (superuser), or make an existing user one with this password."""
    email = _check_email(email)
    _check_password(password)
    user = accounts.find_user(email)
    if user is None:
        accounts.create_user(email, password, is_superuser=True)
        click.echo(f"created admin {email}")
    else:
        user.is_superuser = True
        user.is_active = True
        accounts.set_password(user, password)
        click.echo(f"updated admin {email}")
    db.session.commit()


@click.command("create-account")
@with_appcontext
@click.option("--name", required=True)
@click.option(
    "--plan", "plan_slug", required=True, help="Plan slug (free, starter, growth, scale)."
)
@click.option("--credits", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--email", required=True, help="The account's first user.")
@click.option("--password", default=None)
def create_account(name, plan_slug, credits, email, password):
    """Create an account with its first user; opening credits go through the ledger."""
    email = _check_email(email)
    _check_password(password)
    name = name.strip()
    if not name:
        raise click.BadParameter("must not be empty", param_hint="--name")
    plan = accounts.find_plan(plan_slug)
    if plan is None:
        raise click.BadParameter(f"no plan {plan_slug!r}", param_hint="--plan")
    existing = accounts.find_account(name)
    user = accounts.find_user(email)
    if existing is not None:
        if user is None or user.account_id != existing.id:
            raise click.UsageError(f"account {name!r} already exists with other users")
        click.echo(f"account {name!r} already exists with user {email}; nothing changed")
        return
    if user is not None:
        raise click.UsageError(f"user {email} already exists (in another account)")
    account = accounts.create_account(name, plan, credits)
    accounts.create_user(email, password, account)
    db.session.commit()
    click.echo(
        f"created account {name!r} (id {account.id}, plan {plan.slug}, "
        f"{credits} credits) with user {email}"
    )


@click.command("create-token")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True, help="A label for the token.")
def create_token(email, name):
    """Issue an API token for a user; the token is printed alone on the last line."""
    user = accounts.find_user(_check_email(email))
    if user is None:
        raise click.BadParameter(f"no user {email}", param_hint="--email")
    if not user.is_active:
        raise click.UsageError(f"user {email} is deactivated")
    token = accounts.issue_token(user, name=name)
    db.session.commit()
    click.echo(f"token for {user.email} (shown once, stored hashed):")
    click.echo(token)


@click.command("grant-credits")
@with_appcontext
@click.option("--account", "account_ref", required=True, help="Account name or id.")
@click.option(
    "--amount",
    type=int,
    required=True,
    help="Credits to add (negative to take away, never below zero).",
)
@click.option("--reason", required=True)
@click.option(
    "--reference",
    default=None,
    help="An idempotency reference: a second grant with it does nothing.",
)
def grant_credits(account_ref, amount, reason, reference):
    """Add (or take away) credits through the ledger."""
    if amount == 0:
        raise click.BadParameter("must not be 0", param_hint="--amount")
    if not reason.strip():
        raise click.BadParameter("must not be empty", param_hint="--reason")
    account = accounts.find_account(account_ref)
    if account is None:
        raise click.BadParameter(f"no account {account_ref!r}", param_hint="--account")
    if (
        reference
        and db.session.execute(
            select(CreditTransaction.id).where(
                CreditTransaction.account_id == account.id, CreditTransaction.reference == reference
            )
        ).first()
    ):
        click.echo(f"reference {reference!r} already applied to {account.name}; nothing changed")
        return
    try:
        row = ledger.apply(
            account.id,
            amount,
            "grant" if amount > 0 else "adjustment",
            reference=reference,
            description=reason.strip(),
        )
    except ledger.InsufficientCredits:
        db.session.rollback()
        raise click.UsageError(
            f"{account.name} has {account.credits} credits; cannot take away {-amount}"
        ) from None
    db.session.commit()
    click.echo(f"{account.name}: {amount:+d} credits, balance {row.balance_after}")
