"""The results table's rows: the full model and the three ablations of METHOD.md (no torch here,
so the CLI can list them instantly)."""

VARIANTS: dict[str, dict] = {
    "full": {},
    "no_pab": {"pab": False},
    "no_cit": {"au_encoder": "mlp"},
    "channel_gate": {"baseline": "channel_gate"},
}
VARIANT_TITLES = {
    "full": "EmoZone (SZ-PAB + CIT-AE)",
    "no_pab": "w/o PAB (plain attention)",
    "no_cit": "w/o CIT-AE (per-frame AU MLP)",
    "channel_gate": "channel-gate baseline (TalkingGaussian-style)",
}
