"""contact-sheet: render the default head neutral and with each AU at intensity 5 as a labelled grid,
or (``--mouth-shapes``) the nine mouth shapes of the lip sync (Rhubarb's A-H and X) close up.

    main.py contact-sheet [--out docs/images/au_contact_sheet.png] [--size 256] [--backend gl]
    main.py contact-sheet --mouth-shapes [--out docs/images/mouth_shapes.png]

Core stays Qt-free, so labels are drawn with a tiny built-in 5x7 bitmap font.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

NAME = "contact-sheet"
HELP = "render the default head neutral and with each AU at 5 as a labelled PNG grid"

# 5x7 glyphs, one string of 7 rows (5 bits each, MSB left) per character.
_FONT = {
    "A": (14, 17, 17, 31, 17, 17, 17), "B": (30, 17, 17, 30, 17, 17, 30), "C": (14, 17, 16, 16, 16, 17, 14),
    "D": (30, 17, 17, 17, 17, 17, 30), "E": (31, 16, 16, 30, 16, 16, 31), "F": (31, 16, 16, 30, 16, 16, 16),
    "G": (14, 17, 16, 23, 17, 17, 15), "H": (17, 17, 17, 31, 17, 17, 17), "I": (14, 4, 4, 4, 4, 4, 14),
    "J": (7, 2, 2, 2, 2, 18, 12), "K": (17, 18, 20, 24, 20, 18, 17), "L": (16, 16, 16, 16, 16, 16, 31),
    "M": (17, 27, 21, 21, 17, 17, 17), "N": (17, 17, 25, 21, 19, 17, 17), "O": (14, 17, 17, 17, 17, 17, 14),
    "P": (30, 17, 17, 30, 16, 16, 16), "Q": (14, 17, 17, 17, 21, 18, 13), "R": (30, 17, 17, 30, 20, 18, 17),
    "S": (15, 16, 16, 14, 1, 1, 30), "T": (31, 4, 4, 4, 4, 4, 4), "U": (17, 17, 17, 17, 17, 17, 14),
    "V": (17, 17, 17, 17, 17, 10, 4), "W": (17, 17, 17, 21, 21, 21, 10), "X": (17, 17, 10, 4, 10, 17, 17),
    "Y": (17, 17, 10, 4, 4, 4, 4), "Z": (31, 1, 2, 4, 8, 16, 31),
    "0": (14, 17, 19, 21, 25, 17, 14), "1": (4, 12, 4, 4, 4, 4, 14), "2": (14, 17, 1, 2, 4, 8, 31),
    "3": (31, 2, 4, 2, 1, 17, 14), "4": (2, 6, 10, 18, 31, 2, 2), "5": (31, 16, 30, 1, 1, 17, 14),
    "6": (6, 8, 16, 30, 17, 17, 14), "7": (31, 1, 2, 4, 8, 8, 8), "8": (14, 17, 17, 14, 17, 17, 14),
    "9": (14, 17, 17, 15, 1, 2, 12), " ": (0,) * 7, "-": (0, 0, 0, 31, 0, 0, 0),
}


def draw_text(img: np.ndarray, text: str, x: int, y: int, scale: int = 1, color=(255, 255, 255)) -> None:
    """Draw upper-case text into a uint8 image [H, W, 3] in place (unknown characters are blanks)."""
    h, w = img.shape[:2]
    for k, ch in enumerate(text.upper()):
        rows = _FONT.get(ch, _FONT[" "])
        for r, bits in enumerate(rows):
            for c in range(5):
                if bits & (1 << (4 - c)):
                    y0, x0 = y + r * scale, x + (k * 6 + c) * scale
                    if 0 <= y0 < h and 0 <= x0 < w:
                        img[y0:y0 + scale, x0:x0 + scale] = color


def splat_preview(cloud, camera, background=(0.0, 0.0, 0.0)) -> np.ndarray:
    """A quick numpy point-splat preview (uint8 [H, W, 3]): each Gaussian is drawn as an opaque disc of
    its projected largest in-plane scale, nearest wins. A fallback for when no renderer backend is
    available; not the studio's renderer."""
    means = cloud.means.detach().cpu().double().numpy()
    rgb = cloud.base_rgb.detach().cpu().clamp(0, 1).numpy()
    scales = cloud.scales.detach().cpu().double().numpy()
    opacity = cloud.opacity.detach().cpu().numpy()
    uv, depth = camera.project(means)
    ok = (depth > camera.near) & (opacity > 0.2)
    radius = np.sort(scales, axis=1)[:, 1] * 1.6 * camera.fy / np.where(depth > 0, depth, 1)
    radius = np.clip(radius, 0.7, 12)
    W, H = camera.width, camera.height
    ids = np.nonzero(ok)[0]
    cand_pix, cand_depth, cand_id = [], [], []
    rmax = int(np.ceil(radius[ids].max())) if len(ids) else 0
    for dy in range(-rmax, rmax + 1):
        for dx in range(-rmax, rmax + 1):
            rr = np.hypot(dx, dy)
            sel = ids[radius[ids] + 0.5 >= rr]
            px = np.floor(uv[sel, 0]).astype(np.int64) + dx
            py = np.floor(uv[sel, 1]).astype(np.int64) + dy
            inside = (px >= 0) & (px < W) & (py >= 0) & (py < H)
            cand_pix.append(py[inside] * W + px[inside])
            cand_depth.append(depth[sel][inside])
            cand_id.append(sel[inside])
    img = np.tile(np.asarray(background, dtype=np.float64), (H * W, 1))
    if cand_pix:
        pix = np.concatenate(cand_pix)
        dep = np.concatenate(cand_depth)
        cid = np.concatenate(cand_id)
        order = np.lexsort((dep, pix))
        pix, cid = pix[order], cid[order]
        first = np.ones(len(pix), dtype=bool)
        first[1:] = pix[1:] != pix[:-1]
        img[pix[first]] = rgb[cid[first]]
    return (img.reshape(H, W, 3) * 255 + 0.5).clip(0, 255).astype(np.uint8)


BACKGROUND = (0.08, 0.08, 0.09)


def open_renderer(backend: str = "auto"):
    """A renderer for the sheet: the named backend, or for 'auto' the first of gl, gsplat (CUDA) and
    reference that starts. 'preview' gives None (``splat_preview`` is used)."""
    if backend == "preview":
        return None
    from core.render import RenderError, cuda_available, get_renderer

    if backend != "auto":
        return get_renderer(backend)
    for name in (("gsplat", "gl", "reference") if cuda_available() else ("gl", "reference")):
        try:
            return get_renderer(name)
        except (ImportError, RenderError, RuntimeError):
            continue
    return None


def render_image(cloud, camera, renderer) -> np.ndarray:
    """uint8 RGB [H, W, 3] from a renderer, or from ``splat_preview`` when it is None."""
    if renderer is None:
        return splat_preview(cloud, camera, background=BACKGROUND)
    return renderer.render(cloud, camera, background=BACKGROUND).to_numpy_rgb8()


def front_camera(head, size: int, yaw: float = 0.0, pitch: float = 0.0, zoom: float = 1.0):
    """Orbit camera framing the face (brow to chin with margin)."""
    from core.camera import OrbitCamera

    cam = OrbitCamera(target=np.array([0.0, -0.004, 0.02]), yaw=yaw, pitch=pitch, fov_y=24.0,
                      distance=0.62 / zoom)
    return cam.camera(size, size)


def contact_sheet(head, size: int = 256, backend: str = "auto", columns: int = 6) -> np.ndarray:
    """uint8 RGB grid: neutral then each AU of core.aus.AU_NAMES at 5, each labelled."""
    import torch

    from core.aus import AU_FACS_NAMES, AU_NAMES
    from core.rig import deform

    au = torch.zeros(len(AU_NAMES) + 1, len(AU_NAMES))
    for i in range(len(AU_NAMES)):
        au[i + 1, i] = 5.0
    frames = deform(head, au)
    camera = front_camera(head, size, zoom=1.05)
    labels = [("NEUTRAL", "")] + [(a, AU_FACS_NAMES[a]) for a in AU_NAMES]
    rows = (len(labels) + columns - 1) // columns
    label_h = 26
    sheet = np.full((rows * (size + label_h), columns * size, 3), 20, dtype=np.uint8)
    renderer = open_renderer(backend)
    for k, (code, name) in enumerate(labels):
        tile = render_image(frames.cloud(k), camera, renderer)
        r, c = divmod(k, columns)
        y0, x0 = r * (size + label_h), c * size
        sheet[y0:y0 + size, x0:x0 + size] = tile
        draw_text(sheet, code, x0 + 4, y0 + size + 3, scale=1, color=(255, 220, 120))
        draw_text(sheet, name, x0 + 4, y0 + size + 14, scale=1, color=(230, 230, 230))
    if renderer is not None:
        renderer.close()
    return sheet


def mouth_sheet(head, size: int = 256, backend: str = "auto", columns: int = 5) -> np.ndarray:
    """uint8 RGB grid of the lip sync's mouth shapes (core.audio.lipsync.SHAPE_CONTROLS) on the rig,
    the mouth close up and a little from the side, each labelled with its letter and meaning."""
    import torch

    from core.audio.lipsync import SHAPE_CONTROLS, SHAPE_MEANINGS
    from core.aus import NUM_AUS
    from core.camera import OrbitCamera
    from core.rig import deform

    shapes = list("XABCDEFGH")
    speech = torch.tensor([SHAPE_CONTROLS[k] for k in shapes], dtype=torch.float32)
    frames = deform(head, torch.zeros(len(shapes), NUM_AUS), speech)
    cam = OrbitCamera(target=np.array([0.0, -0.045, 0.05]), yaw=12.0, pitch=-4.0, fov_y=24.0, distance=0.3)
    camera = cam.camera(size, size)
    rows = (len(shapes) + columns - 1) // columns
    label_h = 26
    sheet = np.full((rows * (size + label_h), columns * size, 3), 20, dtype=np.uint8)
    renderer = open_renderer(backend)
    for k, code in enumerate(shapes):
        tile = render_image(frames.cloud(k), camera, renderer)
        r, c = divmod(k, columns)
        y0, x0 = r * (size + label_h), c * size
        sheet[y0:y0 + size, x0:x0 + size] = tile
        draw_text(sheet, code, x0 + 4, y0 + size + 3, scale=1, color=(255, 220, 120))
        meaning = SHAPE_MEANINGS[code].split(" (")[0].replace(",", "")
        draw_text(sheet, meaning, x0 + 4, y0 + size + 14, scale=1, color=(230, 230, 230))
    if renderer is not None:
        renderer.close()
    return sheet


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None,
                        help="output PNG (default docs/images/au_contact_sheet.png, or mouth_shapes.png)")
    parser.add_argument("--mouth-shapes", action="store_true",
                        help="the lip sync's nine mouth shapes (Rhubarb's A-H, X) instead of the AUs")
    parser.add_argument("--size", type=int, default=256, help="tile size in pixels")
    parser.add_argument("--backend", default="auto", help="gl, reference, gsplat, preview or auto")


def run(args: argparse.Namespace) -> int:
    from core.head import default_head
    from core.image import write_png

    if args.mouth_shapes:
        out = args.out or os.path.join("docs", "images", "mouth_shapes.png")
        sheet = mouth_sheet(default_head(), size=args.size, backend=args.backend)
    else:
        out = args.out or os.path.join("docs", "images", "au_contact_sheet.png")
        sheet = contact_sheet(default_head(), size=args.size, backend=args.backend)
    write_png(out, sheet)
    print(f"wrote {out} ({sheet.shape[1]}x{sheet.shape[0]})")
    return 0
