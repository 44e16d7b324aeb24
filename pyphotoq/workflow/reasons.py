"""The booster's part of a score in a photographer's words.

A run's score is mostly its booster's (booster.py). For each photo, LightGBM gives every feature's
contribution to the booster's log-odds (SHAP values, `pred_contrib`); the features that moved the
score most, two or three of them, are said in words:

* a feature compared with the scene ("softer than the other 6 shots of its scene"): its value
  against the scene's median;
* a feature of the photo itself ("noisier than your keepers", "highlights clipped"): its value
  against the median of the training keepers (recorded in booster.json when the trees are fitted);
* the detail patches' features say "at 100%", the overview's nothing.

The words are grouped by the way they pushed the score: "held back by: …; helped by: …". Where a
feature pushed against its plain sense (a crisper photo held back, a noisier one helped: the trees
found it in the rejects or keepers of this archive), its words say only that, "sharpness unlike
your keepers", never "crisper" as a reason to reject.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: What a statistic is called when a photo has less of it, and when it has more.
WORDS = {
    "brightness": ("darker", "brighter"), "contrast": ("flatter", "more contrasty"),
    "luma_p01": ("deeper shadows", "lifted shadows"), "luma_p05": ("deeper shadows", "lifted shadows"),
    "luma_p25": ("darker shadows", "brighter shadows"), "luma_p50": ("darker", "brighter"),
    "luma_p75": ("darker highlights", "brighter highlights"),
    "luma_p95": ("dimmer highlights", "brighter highlights"), "luma_p99": ("dimmer highlights", "brighter highlights"),
    "clipped_highlights": ("fewer clipped highlights", "highlights clipped"),
    "clipped_shadows": ("fewer crushed shadows", "shadows crushed"),
    "clipped_channels": ("fewer clipped colours", "colours clipped"),
    "cast_red_green": ("greener", "redder"), "cast_blue_yellow": ("bluer", "yellower"),
    "colourfulness": ("more muted", "more colourful"), "saturation": ("more muted", "more saturated"),
    "saturation_p95": ("more muted", "more saturated"),
    "highlight_cast_red_green": ("greener highlights", "redder highlights"),
    "highlight_cast_blue_yellow": ("bluer highlights", "yellower highlights"),
    "white_red_green": ("greener whites", "redder whites"), "white_blue_green": ("yellower whites", "bluer whites"),
    "neutral_share": ("more colour everywhere", "more neutral grey"),
    "local_contrast": ("flatter in detail", "more local contrast"),
    "sharpness_full": ("softer", "crisper"), "sharpness_half": ("softer", "crisper"),
    "sharpness_quarter": ("softer", "crisper"), "sharpness_ratio": ("softer in the finest detail", "crisper in the finest detail"),
    "edge_p90": ("softer edges", "crisper edges"), "edge_p99": ("softer edges", "crisper edges"),
    "noise_luma": ("cleaner", "noisier"), "noise_chroma": ("cleaner colour", "more colour noise"),
    "blockiness": ("smoother", "blockier (compression)"),
    "level_edges": ("fewer level lines", "more level lines"), "tilted_edges": ("straighter", "more tilted"),
    "tilt_ratio": ("more tilted", "straighter"),
    "detail_centre_x": ("detail further left", "detail further right"),
    "detail_centre_y": ("detail higher up", "detail lower down"),
    "detail_border": ("less detail at the edges", "more detail at the edges"),
    "detail_centre": ("less detail in the middle", "more detail in the middle"),
    "aspect": ("narrower frame", "wider frame"), "portrait": ("landscape", "portrait"),
}
POOLS = {"mean": "", "max": " (best patch)", "min": " (worst patch)"}
#: Statistics with a plain better side: +1 more is better, -1 less is better.
BETTER = {"sharpness_full": 1, "sharpness_half": 1, "sharpness_quarter": 1, "sharpness_ratio": 1,
          "edge_p90": 1, "edge_p99": 1, "noise_luma": -1, "noise_chroma": -1, "blockiness": -1,
          "clipped_highlights": -1, "clipped_shadows": -1, "clipped_channels": -1, "tilted_edges": -1,
          "tilt_ratio": 1}
#: What a statistic is called as a whole (for words that cannot say "more" or "less").
NOUNS = {"sharpness": "sharpness", "edge": "edge sharpness", "noise": "noise", "blockiness": "compression",
         "clipped": "clipping", "tilted": "tilt", "tilt": "tilt"}


def _noun(statistic: str) -> str:
    return NOUNS.get(statistic.split("_")[0], statistic.replace("_", " "))


def describe(name: str, value: float, reference: float, scene_size: int | None,
             push: float | None = None) -> str:
    """One feature in words. `name` is a booster column (overview_STAT, detail_POOL_STAT, or either
    with '@scene' for the comparison with the scene); `value` the photo's value (for '@scene', its
    difference from the scene's median), `reference` the keepers' median (own features); `push`
    the feature's contribution (its sign: towards keep or reject), when known."""
    scene = name.endswith("@scene")
    base = name.removesuffix("@scene")
    view, _, rest = base.partition("_")
    pool = ""
    if view == "detail":
        pool_name, _, statistic = rest.partition("_")
        pool = " at 100%" + POOLS.get(pool_name, "")
    else:
        statistic = rest
    less, more = WORDS.get(statistic, (f"lower {statistic}", f"higher {statistic}"))
    higher = value > 0 if scene else value > reference
    word = more if higher else less
    others = "its scene" if not scene_size else f"the other {scene_size - 1} shots of its scene"
    if push is not None and statistic in BETTER and (higher == (BETTER[statistic] > 0)) != (push > 0):
        noun = _noun(statistic)
        if scene:
            return f"{noun}{pool} unlike {others}" if push < 0 else f"{noun}{pool} like {others}"
        return f"{noun}{pool} unlike your keepers" if push < 0 else f"{noun}{pool} like your keepers"
    if scene:
        return f"{word}{pool} than {others}"
    if statistic in ("clipped_highlights", "clipped_shadows", "clipped_channels", "portrait") and higher:
        return f"{word}{pool}"
    return f"{word}{pool} than your keepers"


def booster_reasons(booster, statistics: np.ndarray, frame: pd.DataFrame, top: int = 3) -> list[str]:
    """The words for the `top` features that moved each row's booster score most (see the module)."""
    from ..models.booster import scene_features
    from ..photos.splits import scene_groups

    if len(frame) == 0:
        return []
    features, in_scene = scene_features(frame, statistics)
    own_count = statistics.shape[1]
    names = list(booster.info["features"])
    all_names = names + [f"{n}@scene" for n in names]
    keepers = np.asarray(booster.info.get("keeper_medians") or np.full(own_count, np.nan), dtype=float)
    contributions = np.zeros((len(frame), 2 * own_count))
    own_rows = ~in_scene
    if own_rows.any():
        contributions[own_rows, :own_count] = booster.models["alone"].predict(features[own_rows, :own_count],
                                                                              pred_contrib=True)[:, :own_count]
    if in_scene.any():
        contributions[in_scene] = booster.models["scene"].predict(features[in_scene], pred_contrib=True)[:, :-1]
    shots = frame.reset_index(drop=True)
    columns = [c for c in ("hash", "taken", "look") if c in shots.columns]
    groups = scene_groups(shots[columns], booster.info.get("scene_seconds", 30)).to_numpy()
    sizes = pd.Series(groups).map(pd.Series(groups).value_counts()).to_numpy()
    reasons = []
    for row in range(len(frame)):
        order = np.argsort(-np.abs(contributions[row]), kind="stable")
        down, up, first_phrase, said = [], [], "", set()
        for index in order:
            push = float(contributions[row, index])
            if push == 0 or len(down) + len(up) >= top:
                break
            name = all_names[index]
            reference = keepers[index % own_count] if index < own_count else 0.0
            phrase = describe(name, float(features[row, index]), float(reference),
                              int(sizes[row]) if index >= own_count else None, push)
            if not down and not up:
                first_phrase = phrase
            plain = phrase
            for pool in POOLS.values():
                plain = plain.replace(pool, "") if pool else plain
            if plain not in said:  # the best and the worst patch saying the same: once
                said.add(plain)
                (up if push > 0 else down).append(phrase)
        reasons.append(join_reasons(down, up, up_first=bool(up) and (not down or up[0] == first_phrase)))
    return reasons


def join_reasons(down: list[str], up: list[str], up_first: bool = False) -> str:
    """'held back by: A, B; helped by: C' (`up_first`: the other way round, when the feature that
    moved the score most helped it)."""
    parts = [("held back by: " + ", ".join(down)) if down else "", ("helped by: " + ", ".join(up)) if up else ""]
    return "; ".join(p for p in (parts[::-1] if up_first else parts) if p)


def with_reasons(reason: str, why: str) -> str:
    """A reason text of pyphotoq.workflow.facts (the decision, then what stands out in the facts) with the
    facts' notes replaced by the booster's words, when there are any."""
    if not why:
        return reason
    return f"{reason.split('; ', 1)[0]}; why: {why}"
