"""What pricing and credits cost per metered call, in microseconds: for every model of the
built-in catalogs, the hold's worst case, the bill of a generated usage and its credits
(the pure functions a call runs between the provider's answer and the settlement).

    .venv/bin/python bench/pricing.py [--usages N] [--repeats N]

Figures are printed, not asserted. To compare two versions on this noisy machine, run
this file against each checkout in turn (PYTHONPATH=<checkout>:<checkout>/plugins) and
compare the ratios, alternating the runs.
"""

import argparse
import importlib
import random
import statistics
import time
from types import SimpleNamespace

from igny8.ai.usage import Usage
from igny8.billing import credits as C
from igny8.billing.pricing import PriceCard, price

CATALOGS = ("igny8_openai", "igny8_anthropic", "igny8_runware")


def rate_of(spec, card):
    rate = C.CreditRate(
        spec.model_type,
        spec.tokens_per_credit,
        spec.credits_per_image,
        1,
        rule=spec.credit_rule,
        credits_per_usd=spec.credits_per_usd,
        image_credits=spec.image_credits or {},
        max_image_tokens=spec.max_output_tokens if spec.model_type == "image" else None,
    )
    follow = getattr(C, "follow_the_bill", None)  # absent before credits followed the bill
    return follow(rate, card) if follow else rate


def usages(rng, spec, n):
    for _ in range(n):
        if spec.model_type == "image":
            yield Usage(images=1, image_size="1024x1024", image_quality="high")
            continue
        total = rng.randint(100, 250_000)
        cached = rng.randint(0, total) if rng.random() < 0.5 else 0
        out = rng.randint(10, 8_000)
        yield Usage(input_tokens=total, cached_input_tokens=cached, output_tokens=out)


def one_call(spec, card, rate, usage):
    if spec.model_type == "text":
        C.worst_case_text(2_000, 8_192, rate, card)
    else:
        C.worst_case_images(1, rate, size="1024x1024", quality="high", card=card)
    bill = price(usage, card)
    C.credits_for(usage, rate, bill)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--usages", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20261204)
    cases = []
    for name in CATALOGS:
        for spec in importlib.import_module(f"{name}.catalog").MODELS:
            card = PriceCard.of(SimpleNamespace(**spec.columns()))
            rate = rate_of(spec, card)
            cases += [(spec, card, rate, u) for u in usages(rng, spec, args.usages)]
    per_call = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        for case in cases:
            one_call(*case)
        per_call.append((time.perf_counter() - started) / len(cases) * 1e6)
    print(
        f"pricing: {len(cases)} calls x {args.repeats}: median {statistics.median(per_call):.1f} "
        f"us per call (hold worst case, bill, credits), best {min(per_call):.1f} us"
    )


if __name__ == "__main__":
    main()
