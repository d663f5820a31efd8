"""The EmoZone-Talker deformation model (METHOD.md): tri-plane spatial features, audio and AU
encoders (CIT-AE), zone-biased attention (SZ-PAB), the deformation MLP, losses, checkpoints and the
cached inference API. Every module is pure torch and runs on CPU and CUDA.

Import the submodules directly (``from core.model.deform import EmoZoneModel``); this package file
stays free of torch so light callers can import ``core.model`` cheaply.
"""
