"""Limits on what a file may ask of the studio, derived from what the content can mean.

Every loader checks the sizes a file declares against these before it allocates anything for them,
so a 300-byte file cannot ask for 23 GB: a take's length follows from its frame rate and a
duration no performance reaches; a key count from the frames a take can hold; nesting from the
shape of the formats (a take nests 5 levels; zone settings are a shallow dictionary).
"""
from __future__ import annotations

#: Frame rates a take may have: film and video are 23.976-120; high-speed capture reaches 1000.
MIN_FPS = 1.0
MAX_FPS = 1000.0

#: Longest take, in seconds (4 hours: a long recording session; feature dialogue is far shorter).
MAX_TAKE_SECONDS = 4 * 3600.0
#: Most frames a take may hold (4 h at 69 fps; 16.7 min at 1000 fps): its evaluation is
#: frames x 21 channels x 8 bytes = 168 MB at most.
MAX_TAKE_FRAMES = 1_000_000

#: Longest audio accepted, in seconds (decoded at 48 kHz stereo float32 an hour is 1.4 GB).
MAX_AUDIO_SECONDS = 3600.0

#: Most keys on one channel, and in a whole take (a key on every frame of every channel of a
#: 10-minute 25 fps take is 315,000).
MAX_KEYS_PER_CHANNEL = MAX_TAKE_FRAMES
MAX_KEYS_PER_TAKE = 2_000_000

#: Largest take file (a key costs about 200 bytes as JSON; 10,000 keys are 2 MB).
MAX_TAKE_FILE_BYTES = 256 * 2**20

#: Deepest JSON nesting read anywhere (a take needs 5; Python's parser recurses per level).
MAX_JSON_DEPTH = 64

#: Largest CSV of curves (OpenFace writes about 5 kB per row: 1 h at 30 fps is 540 MB).
MAX_CSV_BYTES = 2 * 2**30
#: Longest CSV field (OpenFace's longest is a float; a stray quote must not swallow the file).
MAX_CSV_FIELD = 4096


def take_frames_problem(fps: float, duration: float) -> str | None:
    """Why a take of ``duration`` frames at ``fps`` cannot be, or None when it can."""
    if not MIN_FPS <= fps <= MAX_FPS:
        return f"fps must be within {MIN_FPS:g}..{MAX_FPS:g}, got {fps!r}"
    if duration > MAX_TAKE_FRAMES:
        return f"{duration:g} frames is more than the {MAX_TAKE_FRAMES:,} a take may hold"
    if duration / fps > MAX_TAKE_SECONDS:
        return (f"{duration:g} frames at {fps:g} fps is {duration / fps / 3600:.2f} h; "
                f"a take is at most {MAX_TAKE_SECONDS / 3600:g} h")
    return None

#: Farthest key from frame 0, in frames, and the largest key or handle value a take file may
#: hold. Keys may lie past a take's end (a shortened take keeps them), but not past ten of the
#: longest takes; AUs run 0..5 and speech controls 0..1, so a million is no curve's value, only a
#: hostile file's (whose neighbouring keys would otherwise push handle slopes past float range).
MAX_KEY_FRAME = 10.0 * MAX_TAKE_FRAMES
MAX_KEY_VALUE = 1e6

#: Most Gaussians a PLY may declare (the largest published 3DGS scenes hold about 6 million, a head
#: 50-500 thousand); at SH degree 3 (62 floats each) ten million are a 2.5 GB file.
MAX_PLY_GAUSSIANS = 10_000_000
#: Longest PLY header: 3DGS writes 62 property lines (about 1.5 kB); a megabyte is a header of
#: 40,000 properties, and a binary file without one is not read whole while looking for it.
MAX_PLY_HEADER_BYTES = 2**20

#: Longest safetensors header of a checkpoint: about 110 bytes a tensor plus the config (the shipped
#: checkpoint's is 4.7 kB for 43 tensors), so a megabyte describes 200 times that model.
MAX_CHECKPOINT_HEADER_BYTES = 2**20
#: Largest checkpoint file (the shipped one is 0.9 MB; a thousand times that model).
MAX_CHECKPOINT_BYTES = 2**30

#: Widest or tallest image read (the renderer and `render --size` make at most 8192 x 8192).
MAX_IMAGE_SIDE = 8192
#: Largest image file read: an 8192 x 8192 RGBA image is 256 MiB raw, and deflate grows data it cannot
#: compress by a few bytes per 64 kB.
MAX_IMAGE_FILE_BYTES = 8192 * 8192 * 4 + 2**24

#: Farthest a take's camera target may lie from the origin, and its eye from the target, in scene
#: units (a head is about 0.3 units across: a million units away it is far below one pixel, and
#: the view matrix stays finite).
MAX_SCENE_UNITS = 1e6

#: Longest take name, in characters (it becomes a file name and the window title; file systems
#: allow 255 bytes a name).
MAX_NAME_CHARS = 255
