"""Benchmark of the routing suggestions: top-1 and top-3 accuracy on held-out history.

    .venv/bin/python -m bench.bench_routing [--samples 6000] [--seed 20261202]
    DATABASE_URL=postgres://… .venv/bin/python -m bench.bench_routing --municipality mzh

Without ``--municipality`` the history is synthetic: the demo's resident texts
(``cases.demo.texts.TOPICS``, each labelled with its category and executor) roughened
the way residents write — words dropped, typos, ё/е, greetings and pleas around the
text, other addresses and numbers. Two held-out sets:

* **random** — a random fifth of the posts, the others for training;
* **unseen wording** — for every topic with two or more wordings, one wording kept out
  of training entirely (the model has never seen that way of putting it).

With ``--municipality`` the municipality's own routed cases are read from the database
(``channels.suggestions.routing_history``) and the newest fifth is held out.

The classifier is the desk's own (``channels.suggestions.build_pipeline``). Prints one
line per figure, and the training time and predictions per second; adds them to
``bench/results.json`` under ``"routing"``. Figures only, nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

TOP = 3


def _roughen(rng: random.Random, text: str) -> str:
    words = text.split()
    words = [w for w in words if rng.random() > 0.12] or words
    out = []
    for w in words:
        if len(w) > 4 and rng.random() < 0.08:  # a typo: two letters swapped
            i = rng.randrange(len(w) - 1)
            w = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
        out.append(w)
    text = " ".join(out)
    if rng.random() < 0.5:
        text = text.replace("ё", "е")
    if rng.random() < 0.3:
        text = text.lower()
    before = ["", "", "Здравствуйте! ", "Помогите! ", "Уже писали, ", "Добрый день. "]
    after = ["", "", " Спасибо.", " Примите меры!", " Сколько ждать?", " Фото в комментариях."]
    return rng.choice(before) + text + rng.choice(after)


def synthetic(samples: int, seed: int) -> list[tuple[str, str, int]]:
    """``(text, label, wording index)`` posts over the demo topics."""
    from cases.demo.texts import STREETS, TOPICS

    rng = random.Random(seed)
    posts = []
    for _ in range(samples):
        code, org_index, texts = rng.choice(TOPICS)
        wording = rng.randrange(len(texts))
        address = f"{rng.choice(STREETS)}, {rng.randint(1, 120)}"
        text = texts[wording].format(addr=address, num=rng.randint(1, 30))
        posts.append((_roughen(rng, text), f"{code}:{org_index}", wording))
    return posts


def accuracy(pipeline, texts: list[str], labels: list[str]) -> tuple[float, float, float]:
    """Top-1, top-3 and predictions per second over the held-out texts."""
    import numpy as np

    started = time.perf_counter()
    probabilities = pipeline.predict_proba(texts)
    rate = len(texts) / (time.perf_counter() - started)
    classes = np.asarray(pipeline.classes_)
    ranked = classes[np.argsort(-probabilities, axis=1)[:, :TOP]]
    truth = np.asarray(labels)
    top1 = float(np.mean(ranked[:, 0] == truth))
    top3 = float(np.mean((ranked == truth[:, None]).any(axis=1)))
    return top1, top3, rate


def evaluate(name: str, train: list[tuple[str, str]], test: list[tuple[str, str]]) -> dict:
    from channels.suggestions import build_pipeline
    from mcu.text import fold

    pipeline = build_pipeline()
    started = time.perf_counter()
    pipeline.fit([fold(t) for t, _ in train], [label for _, label in train])
    fit_seconds = time.perf_counter() - started
    top1, top3, rate = accuracy(pipeline, [fold(t) for t, _ in test], [label for _, label in test])
    labels = len({label for _, label in train})
    print(
        f"{name}: top-1 {top1:.1%}, top-3 {top3:.1%} on {len(test)} held-out posts "
        f"({len(train)} for training, {labels} category–executor pairs); "
        f"fit {fit_seconds:.2f} s, {rate:,.0f} predictions/s",
        flush=True,
    )
    return {
        "top1": round(top1, 4),
        "top3": round(top3, 4),
        "held_out": len(test),
        "trained_on": len(train),
        "labels": labels,
        "fit_seconds": round(fit_seconds, 3),
        "predictions_per_second": round(rate),
    }


def run(ctx) -> None:
    """``make bench``: the synthetic held-out sets, recorded with the other figures."""
    import bench

    ctx.django()
    posts = synthetic(6000, 20261202)
    rng = random.Random(20261202)
    shuffled = posts[:]
    rng.shuffle(shuffled)
    cut = len(shuffled) // 5
    result = evaluate(
        "random held-out fifth",
        [(t, label) for t, label, _w in shuffled[cut:]],
        [(t, label) for t, label, _w in shuffled[:cut]],
    )
    from cases.demo.texts import TOPICS

    several = {f"{code}:{org}": len(texts) for code, org, texts in TOPICS if len(texts) > 1}
    held = {label: rng.randrange(n) for label, n in several.items()}
    unseen = evaluate(
        "unseen wording",
        [(t, label) for t, label, w in posts if held.get(label) != w],
        [(t, label) for t, label, w in posts if held.get(label) == w],
    )
    for name, figures in (("random", result), ("unseen_wording", unseen)):
        bench.record(f"routing_{name}_top1", figures["top1"] * 100, "%", target=None)
        bench.record(f"routing_{name}_top3", figures["top3"] * 100, "%", target=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--municipality", default="", help="slug: the real routed history")
    args, _unknown = parser.parse_known_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mcu.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    results: dict = {}
    if args.municipality:
        from channels.suggestions import routing_history
        from mcu.models import Municipality

        municipality = Municipality.objects.get(slug=args.municipality)
        texts, labels = routing_history(municipality.pk)
        pairs = list(zip(texts, labels, strict=True))  # newest first
        cut = len(pairs) // 5
        results["history"] = evaluate(f"history of {municipality.slug}", pairs[cut:], pairs[:cut])
    else:
        posts = synthetic(args.samples, args.seed)
        rng = random.Random(args.seed)
        shuffled = posts[:]
        rng.shuffle(shuffled)
        cut = len(shuffled) // 5
        results["random"] = evaluate(
            "random held-out fifth",
            [(t, label) for t, label, _w in shuffled[cut:]],
            [(t, label) for t, label, _w in shuffled[:cut]],
        )
        from cases.demo.texts import TOPICS

        several = {f"{code}:{org}": len(texts) for code, org, texts in TOPICS if len(texts) > 1}
        held = {label: rng.randrange(n) for label, n in several.items()}
        train = [(t, label) for t, label, w in posts if held.get(label) != w]
        test = [(t, label) for t, label, w in posts if held.get(label) == w]
        results["unseen_wording"] = evaluate("unseen wording", train, test)
    out = Path(__file__).with_name("results.json")
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing["routing"] = results
    out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.name} (routing)")


if __name__ == "__main__":
    main()
