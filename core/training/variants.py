"""The model variants training knows by name: the method as the paper publishes it ("full"), our
six-zone hard-mask variant, the rows of the paper's ablation (its Table 3: A audio only, B + AU
conditioning, C + SZ-PAB, D + CIT-AE without SZ-PAB) and the TalkingGaussian-style channel gate.
No torch here, so the CLI can list them instantly.

Every variant starts from RECIPE, the architecture the December 2026 diagnosis found the model needs
to fit the rig (docs/RESULTS.md): a fine concatenated tri-plane, FiLM AU identities in CIT-AE and
the neutral anchor. ``--set KEY=VALUE`` overrides any of it."""

RECIPE: dict = {
    "triplane_resolutions": [64, 128, 256],
    "triplane_reduce": "concat",
    "cit_identity": "film",
    "neutral_anchor": True,
}

_DELTAS: dict[str, dict] = {
    "full": {"zone_scheme": "paper3"},
    "six_zones": {"zone_scheme": "six"},
    "no_pab": {"pab": False},
    "no_cit": {"au_encoder": "mlp", "zone_scheme": "paper3"},
    "au_vector": {"au_encoder": "mlp", "pab": False},
    "audio_only": {"au_encoder": "none", "pab": False},
    "channel_gate": {"baseline": "channel_gate"},
}
VARIANTS: dict[str, dict] = {name: {**RECIPE, **delta} for name, delta in _DELTAS.items()}
VARIANT_TITLES = {
    "full": "EmoZone as published (3 zones, learnable bias, RAAR, CIT-AE)",
    "six_zones": "EmoZone, six zones with a hard mask (ours; the shipped model)",
    "no_pab": "(D) CIT-AE without SZ-PAB (plain attention)",
    "no_cit": "(C) + SZ-PAB, per-frame AU vector (w/o CIT-AE)",
    "au_vector": "(B) + AU conditioning (per-frame AU vector, plain attention)",
    "audio_only": "(A) audio only",
    "channel_gate": "channel-gate baseline (TalkingGaussian-style)",
}
