"""The benchmark's rounds: block order, medians and spreads, and when a target counts as met
(bench/rounds.py; no servers)."""

from __future__ import annotations

import pytest

from bench.rounds import (
    MET,
    NOT_MET,
    UNCLEAR,
    Block,
    at_least,
    below,
    block_order,
    per_round_ratios,
    ratio_of_medians,
    round_p99,
    round_rate,
    spread,
    summarise,
)


def test_rounds_mirror_the_sides_so_each_side_gets_both_halves():
    assert block_order(["app", "tipg", "raw"], 2) == [
        ["app", "tipg", "raw", "raw", "tipg", "app"],
        ["app", "tipg", "raw", "raw", "tipg", "app"],
    ]
    assert block_order(["app"], 1) == [["app", "app"]]


def test_a_seed_shuffles_each_round_reproducibly_and_keeps_two_blocks_per_side():
    order = block_order(["app", "tipg", "raw"], 5, seed=3)
    assert order == block_order(["app", "tipg", "raw"], 5, seed=3)
    assert len({tuple(r) for r in order}) > 1
    for blocks in order:
        assert sorted(blocks) == ["app", "app", "raw", "raw", "tipg", "tipg"]


@pytest.mark.parametrize("sides, rounds", [([], 3), (["app"], 0)])
def test_no_rounds_without_sides_or_with_none_asked(sides, rounds):
    with pytest.raises(ValueError):
        block_order(sides, rounds)


def test_spread_is_the_median_with_min_and_max():
    s = spread([5.0, 1.0, 3.0, 100.0])
    assert (s.median, s.lo, s.hi) == (4.0, 1.0, 100.0)
    assert str(spread([2.0])) == "2.0 (2.0–2.0)"
    with pytest.raises(ValueError):
        spread([])


def _round(app, tipg, raw=(1000.0, 1000.0), p99=(10.0, 10.0)):
    return [Block("app", app[0], p99[0]), Block("tipg", tipg[0], 20.0),
            Block("raw", raw[0], 5.0), Block("raw", raw[1], 5.0),
            Block("tipg", tipg[1], 20.0), Block("app", app[1], p99[1])]


def test_a_side_in_a_round_is_the_mean_of_its_blocks_and_the_larger_p99():
    r = _round((300.0, 500.0), (100.0, 100.0), p99=(12.0, 40.0))
    assert round_rate(r, "app") == 400.0
    assert round_p99(r, "app") == 40.0
    with pytest.raises(ValueError):
        round_rate(r, "nobody")


def test_ratios_are_taken_within_each_round():
    rounds = [_round((300.0, 300.0), (100.0, 100.0)), _round((400.0, 400.0), (200.0, 200.0)),
              _round((500.0, 500.0), (100.0, 100.0))]
    assert per_round_ratios(rounds, "app", "tipg") == [3.0, 2.0, 5.0]
    assert ratio_of_medians(rounds, "app", "tipg") == 4.0


def test_a_target_is_met_only_when_every_round_is_on_its_side():
    assert at_least([2.6, 3.0, 2.5], 2.5) == MET
    assert at_least([2.4, 3.0, 2.9], 2.5) == UNCLEAR
    assert at_least([1.0, 2.4], 2.5) == NOT_MET
    assert below([10.0, 49.9], 50.0) == MET
    assert below([10.0, 50.0], 50.0) == UNCLEAR
    assert below([50.0, 80.0], 50.0) == NOT_MET


def test_a_median_above_the_target_is_not_enough():
    # Median ratio 3.0, but one round at 2.0: the spread straddles 2.5.
    rounds = [_round((300.0, 300.0), (100.0, 100.0)), _round((300.0, 300.0), (100.0, 100.0)),
              _round((200.0, 200.0), (100.0, 100.0))]
    out = summarise("bbox-100", rounds)
    assert out["ratios"]["app/tipg"]["of_medians"] == 3.0
    assert out["ratios"]["app/tipg"]["per_round"].lo == 2.0
    assert out["targets"]["app/tipg >= 2.5"] == UNCLEAR


def test_summary_of_a_query_names_its_targets():
    rounds = [_round((300.0, 320.0), (100.0, 110.0), p99=(30.0, 45.0))] * 3
    out = summarise("tile-z14", rounds)
    assert list(out["sides"]) == ["app", "tipg", "raw"]
    assert out["sides"]["app"]["rate"].median == 310.0
    assert out["sides"]["app"]["p99_ms"].hi == 45.0
    assert out["ratios"]["app/raw"]["of_medians"] == pytest.approx(0.31)
    assert out["targets"] == {"app/tipg >= 1": MET, "app p99 < 50 ms": MET}


def test_a_query_without_a_target_or_without_tipg_claims_none():
    app_only = [[Block("app", 2000.0, 9.0), Block("app", 2100.0, 11.0)]] * 2
    assert summarise("no-query", app_only)["targets"] == {}
    assert summarise("no-query", app_only)["ratios"] == {}
    no_tipg = [[b for b in _round((300.0, 300.0), (1.0, 1.0)) if b.side != "tipg"]] * 2
    assert summarise("near-20", no_tipg)["targets"] == {"app p99 < 50 ms": MET}
