"""Export of takes: MP4 with audio, PNG sequences with alpha, AU curves, 3DGS PLY sequences.

    from core.export import ExportOptions, export_take, CancelToken
    export_take(take, head, ExportOptions("out.mp4", size=(512, 512)), progress=cb, cancel=token)

See docs/EXPORT.md for the formats, the options and the pipeline.
"""
from core.export.options import (
    CURVE_FORMATS,
    EXPORT_FORMATS,
    FORMAT_BY_NAME,
    FORMATS,
    CancelToken,
    ExportCancelled,
    ExportError,
    ExportOptions,
    ExportFormat,
    ExportResult,
    detect_format,
    export_format,
    output_frames,
)
from core.export.pipeline import export_take

__all__ = [
    "CURVE_FORMATS", "EXPORT_FORMATS", "FORMATS", "FORMAT_BY_NAME", "CancelToken", "ExportCancelled", "ExportError",
    "ExportFormat", "ExportOptions", "ExportResult", "detect_format", "export_format", "export_take", "output_frames",
]
