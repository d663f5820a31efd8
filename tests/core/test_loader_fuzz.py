"""Fuzz suites of the binary loaders (issue 12): 3DGS PLY (core.ply.read_ply), model checkpoints
(core.model.checkpoint.load_checkpoint) and PNG images (core.image.read_png).

Each suite starts from real files - the default head written as PLY (SH degree 0 and 3, with and
without its zone memberships, part and mirror attributes, and with foreign typed properties), a
checkpoint of a small model saved by save_checkpoint, PNGs of a crop of a README image with every
PNG row filter - and damages them with tests.fuzz.mutate's byte mutator and with structural mutators
of the header text (PLY), the safetensors header JSON and its config (checkpoint) and the PNG
chunks with their CRCs rewritten (image). tests.fuzz.mutate.check asserts the contract: only the
loader's own error type, naming the file, or a loaded object that saves and reloads equal. A failing
input is kept in tests/data/fuzz/<loader>/, and the corpus tests replay every file there.

Seeds come from hypothesis (derandomized): 120 + 250 PLY, 25 + 80 checkpoint and 150 + 150 image cases,
about 15 s together on a 2-core CPU (the whole file about 20 s).
"""
from __future__ import annotations

import functools
import json
import random
import shutil
import tempfile
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.image import ImageFileError, encode_png, read_png
from core.model.checkpoint import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from core.ply import PlyError, read_ply, write_ply
from tests.fuzz.mutate import (check, corpus_files, dump_json, mutate_bytes, mutate_json,
                               mutate_text_json)

SEEDS = st.integers(0, 2**32 - 1)
REPO = Path(__file__).resolve().parents[2]


def fuzz_settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None)


# ===================================================================================== PLY
def _head_subset(step: int = 400):
    """Every ``step``-th Gaussian of the default head (148): its real values and attributes."""
    from core.head import default_head

    cloud = default_head().cloud
    return cloud.subset(torch.arange(0, len(cloud), step))


def _with_sh3(cloud):
    g = torch.Generator().manual_seed(3)
    rest = torch.randn(len(cloud), 15, 3, generator=g) * 0.05
    return cloud.replace(sh=torch.cat([cloud.sh, rest], 1).contiguous())


def _foreign_typed(path: Path, cloud) -> None:
    """The subset as a foreign tool might write it: normals, doubles, and extra properties of every
    integer type, in an order of its own (built with numpy, not write_ply)."""
    n = len(cloud)
    g = np.random.default_rng(5)
    cols = {"x": cloud.means[:, 0], "y": cloud.means[:, 1], "z": cloud.means[:, 2]}
    cols.update({f"f_dc_{i}": cloud.sh[:, 0, i] for i in range(3)})
    cols.update({f"scale_{i}": cloud.log_scales[:, i] for i in range(3)})
    cols.update({f"rot_{i}": cloud.quats[:, i] for i in range(4)})
    cols["opacity"] = cloud.opacities
    cols = {k: v.numpy() for k, v in cols.items()}
    props = [("x", "<f8"), ("y", "<f8"), ("z", "<f8"), ("nx", "<f4"), ("ny", "<f4"), ("nz", "<f4")]
    props += [(k, "<f4") for k in cols if k not in "xyz"]
    extras = {"label": ("<u1", g.integers(0, 255, n)), "seg_0": ("<i2", g.integers(-300, 300, n)),
              "seg_1": ("<i2", g.integers(-300, 300, n)), "cluster": ("<u2", g.integers(0, 65535, n)),
              "track": ("<u4", g.integers(0, 2**32 - 1, n)), "flag": ("<i1", g.integers(-128, 127, n)),
              "weight": ("<f8", g.random(n))}
    props += [(k, t) for k, (t, _) in extras.items()]
    data = np.zeros(n, dtype=props)
    for k, v in cols.items():
        data[k] = v
    for k, (_, v) in extras.items():
        data[k] = v
    names = {"<f4": "float", "<f8": "double", "<u1": "uchar", "<i2": "short", "<u2": "ushort",
             "<u4": "uint", "<i1": "char"}
    header = ["ply", "format binary_little_endian 1.0", "comment written by a foreign tool",
              f"element vertex {n}"] + [f"property {names[t]} {k}" for k, t in props] + ["end_header"]
    path.write_bytes(("\n".join(header) + "\n").encode("ascii") + data.tobytes())


@functools.lru_cache(maxsize=1)
def ply_seeds() -> dict[str, bytes]:
    """The PLY seeds (built once; not a fixture, whose bytes hypothesis would print with a failure)."""
    folder = Path(tempfile.mkdtemp(prefix="ply_seeds"))
    cloud = _head_subset()
    bare = cloud.replace(attributes={})
    files = {}
    for name, c in (("head_sh0", cloud), ("head_sh3", _with_sh3(cloud)), ("head_bare", bare),
                    ("head_sh3_bare", _with_sh3(bare))):
        write_ply(c, folder / f"{name}.ply")
        files[name] = (folder / f"{name}.ply").read_bytes()
    _foreign_typed(folder / "foreign.ply", cloud)
    files["foreign"] = (folder / "foreign.ply").read_bytes()
    shutil.rmtree(folder)
    return files


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder the fuzz cases write their inputs to (reused by every example)."""
    return tmp_path_factory.mktemp("fuzz")


def clouds_equal(a, b) -> None:
    for f in ("means", "quats", "log_scales", "opacities", "sh"):
        assert torch.equal(getattr(a, f), getattr(b, f)), f
    assert a.attributes.keys() == b.attributes.keys()
    for k, v in a.attributes.items():
        assert v.dtype == b.attributes[k].dtype and torch.equal(v, b.attributes[k]), k


def ply_round_trip(folder: Path):
    def then(cloud) -> None:
        again = folder / "again.ply"
        write_ply(cloud, again)  # a cloud the reader made must be writable ...
        clouds_equal(cloud, read_ply(again))  # ... and read back equal

    return then


_COUNTS = ("0", "1", "2", "147", "149", "296", "65535", "4294967295", "18446744073709551616",
           "9" * 30, "9" * 5000, "-1", "1e3", "0x10", "+5", "07", "", "\u0663")
_TYPES = ("char", "uchar", "short", "ushort", "int", "uint", "float", "double", "int8", "uint8", "int16",
          "uint16", "int32", "uint32", "float32", "float64", "half", "float16", "list uchar int", "list")
_NAMES = ("x", "y", "opacity", "rot_0", "scale_2", "f_dc_0", "f_rest_0", "f_rest_9", "f_rest_44", "f_rest_45",
          "nx", "zones", "zones_0", "zones_6", "part_0", "mirror", "means", "sh", "attributes", "a b",
          "\u00e9", "seg", "seg_2", "label_0", "x_0")
_LINES = ("comment hi", "obj_info x", "element face 1", "element face 0", "property list uchar int vertex_indices",
          "format ascii 1.0", "format binary_big_endian 1.0", "format binary_little_endian 2.0",
          "element vertex 3", "end_header", "", "   ", "property float", "property float x",
          "bogus line", "ply", "element", "property", "format")


def mutate_ply_header(data: bytes, rng: random.Random) -> bytes:
    """Damage a PLY header as text (counts, types, names, lines dropped, repeated, swapped or
    inserted, line ends) and sometimes the body's length."""
    end = data.index(b"end_header\n") + len(b"end_header\n")
    lines = data[:end].decode("ascii").split("\n")[:-1]
    body = data[end:]
    eol = "\n"
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(1, len(lines))
        words = lines[i].split(" ")
        op = rng.randrange(8)
        elements = [j for j, ln in enumerate(lines) if ln.startswith("element ")]
        if op == 0 and elements:
            j = rng.choice(elements)
            w = lines[j].split(" ")
            lines[j] = " ".join(w[:2] + [rng.choice(_COUNTS)])
        elif op == 1 and words[0] == "property":
            lines[i] = " ".join(["property", rng.choice(_TYPES), words[-1]])
        elif op == 2 and words[0] == "property":
            lines[i] = " ".join(words[:-1] + [rng.choice(_NAMES)])
        elif op == 3 and i < len(lines) - 1:
            del lines[i]
        elif op == 4:
            lines.insert(i, lines[i])
        elif op == 5:
            j = rng.randrange(1, len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 6:
            lines.insert(i, rng.choice(_LINES))
        else:
            eol = rng.choice(["\r\n", "\r", "\n\n", " \n"])
    if rng.random() < 0.2:
        body = body[: rng.randrange(len(body) + 1)] if rng.random() < 0.5 else body + bytes(rng.randrange(1, 300))
    return (eol.join(lines) + eol).encode("utf-8") + body


@fuzz_settings(120)
@given(seed=SEEDS)
def test_ply_fuzz_bytes(workdir, seed):
    rng = random.Random(seed)
    name = rng.choice(sorted(ply_seeds()))
    data = mutate_bytes(ply_seeds()[name], rng, rounds=rng.randint(1, 4), protect=4)
    folder = workdir
    path = folder / f"{name}.ply"
    path.write_bytes(data)
    check("ply", read_ply, path, PlyError, then=ply_round_trip(folder))


@fuzz_settings(250)
@given(seed=SEEDS)
def test_ply_fuzz_header(workdir, seed):
    rng = random.Random(seed)
    name = rng.choice(sorted(ply_seeds()))
    data = mutate_ply_header(ply_seeds()[name], rng)
    folder = workdir
    path = folder / f"{name}.ply"
    path.write_bytes(data)
    check("ply", read_ply, path, PlyError, then=ply_round_trip(folder))


def test_ply_seeds_load_and_round_trip(tmp_path):
    """The fuzzers' starting points are good files (so the damage, not the seed, is what fails)."""
    for name, data in ply_seeds().items():
        path = tmp_path / f"{name}.ply"
        path.write_bytes(data)
        cloud = check("ply", read_ply, path, PlyError, then=ply_round_trip(tmp_path))
        assert cloud is not None and len(cloud) == 148, name
    foreign = read_ply(tmp_path / "foreign.ply")
    assert foreign.attributes["track"].dtype == torch.int64  # uint widens; the writer keeps it uint


@pytest.mark.parametrize("path", corpus_files("ply"), ids=lambda p: p.name)
def test_ply_corpus(path, tmp_path):
    """Every input that once broke the PLY reader, found by fuzzing or made by hand."""
    check("ply", read_ply, path, PlyError, then=ply_round_trip(tmp_path))


# ===================================================================================== checkpoint
def _tiny_config():
    from core.model.deform import ModelConfig

    return ModelConfig(d=8, heads=2, triplane_resolutions=(4, 8), triplane_channels=2, n_mels=8, audio_hidden=8,
                       cit_hidden=8, mlp_hidden=8, au_window=4, cit_dilations=(1, 2))


@functools.lru_cache(maxsize=1)
def checkpoint_seed() -> bytes:
    from core.model.deform import EmoZoneModel

    torch.manual_seed(0)
    folder = Path(tempfile.mkdtemp(prefix="ckpt_seed"))
    path = folder / "tiny.safetensors"
    save_checkpoint(path, EmoZoneModel(_tiny_config()), _tiny_config(), "fp-tiny", {"step": 3, "loss": 0.25})
    data = path.read_bytes()
    shutil.rmtree(folder)
    return data


def _load_any_head(path: Path):
    return load_checkpoint(path, None)


def checkpoint_round_trip(folder: Path):
    def then(result) -> None:
        model, config, meta = result
        again = folder / "again.safetensors"
        save_checkpoint(again, model, config, meta["head_fingerprint"], meta["extra"])
        model2, config2, meta2 = load_checkpoint(again, None)
        assert config2 == config and meta2["head_fingerprint"] == meta["head_fingerprint"]
        assert json.dumps(meta2["extra"], sort_keys=True) == json.dumps(meta["extra"], sort_keys=True)
        a, b = model.state_dict(), model2.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    return then


def _split(data: bytes) -> tuple[dict, bytes]:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def _join(header_text: str, body: bytes) -> bytes:
    raw = header_text.encode("utf-8", "surrogatepass")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + body


def mutate_checkpoint(data: bytes, rng: random.Random) -> bytes:
    """Damage the safetensors header as JSON: the tensor table, the metadata, or the model config
    inside it (structurally, with tests.fuzz.mutate.mutate_json), or its text."""
    header, body = _split(data)
    where = rng.randrange(4)
    if where == 0:  # the config, a JSON string inside the metadata
        config = json.loads(header["__metadata__"]["config"])
        header["__metadata__"]["config"] = dump_json(mutate_json(config, rng))
        text = json.dumps(header)
    elif where == 1:  # the tensor table and the metadata
        text = dump_json(mutate_json(header, rng))
    elif where == 2:
        text = mutate_text_json(json.dumps(header), rng)
    else:  # a size the config declares, set to what a tensor of the file could allow or far more
        config = json.loads(header["__metadata__"]["config"])
        key = rng.choice(sorted(k for k, v in config.items() if isinstance(v, (int, list)) and not isinstance(v, bool)))
        value = rng.choice([0, 1, 3, 7, 16, 133, 1001, 10**6, 10**9, 2**63, -5, 1.5, "8"])
        config[key] = [value] * rng.choice([1, 3, 300]) if isinstance(config[key], list) else value
        header["__metadata__"]["config"] = json.dumps(config)
        text = json.dumps(header)
    if rng.random() < 0.1:
        body = body[: rng.randrange(len(body) + 1)]
    return _join(text, body)


@fuzz_settings(25)
@given(seed=SEEDS)
def test_checkpoint_fuzz_bytes(workdir, seed):
    rng = random.Random(seed)
    data = mutate_bytes(checkpoint_seed(), rng, rounds=rng.randint(1, 3), protect=8 if rng.random() < 0.8 else 0)
    folder = workdir
    path = folder / "tiny.safetensors"
    path.write_bytes(data)
    check("checkpoint", _load_any_head, path, CheckpointError, then=checkpoint_round_trip(folder))


@fuzz_settings(80)
@given(seed=SEEDS)
def test_checkpoint_fuzz_header(workdir, seed):
    rng = random.Random(seed)
    data = mutate_checkpoint(checkpoint_seed(), rng)
    folder = workdir
    path = folder / "tiny.safetensors"
    path.write_bytes(data)
    check("checkpoint", _load_any_head, path, CheckpointError, then=checkpoint_round_trip(folder))


def test_checkpoint_seed_loads_and_round_trips(tmp_path):
    path = tmp_path / "tiny.safetensors"
    path.write_bytes(checkpoint_seed())
    model, config, meta = check("checkpoint", _load_any_head, path, CheckpointError,
                                then=checkpoint_round_trip(tmp_path))
    assert config == _tiny_config() and meta["extra"] == {"step": 3, "loss": 0.25}


@pytest.mark.parametrize("path", corpus_files("checkpoint"), ids=lambda p: p.name)
def test_checkpoint_corpus(path, tmp_path):
    """Every input that once broke the checkpoint loader, found by fuzzing or made by hand."""
    check("checkpoint", _load_any_head, path, CheckpointError, then=checkpoint_round_trip(tmp_path))
    check("checkpoint", read_metadata, path, CheckpointError)


# ===================================================================================== image
def _chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)


def png_with_filters(img: np.ndarray, filters) -> bytes:
    """A PNG of uint8 [H, W, C] whose row y uses PNG filter ``filters[y]`` (0 None, 1 Sub, 2 Up,
    3 Average, 4 Paeth), encoded here from the PNG specification (the studio's writer uses only 0)."""
    h, w, c = img.shape
    x = img.reshape(h, w * c).astype(np.int16)
    left = np.zeros_like(x)
    left[:, c:] = x[:, :-c]
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    ul = np.zeros_like(x)
    ul[1:, c:] = x[:-1, :-c]
    pa, pb, pc = np.abs(up - ul), np.abs(left - ul), np.abs(left + up - 2 * ul)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, ul))
    predictors = [np.zeros_like(x), left, up, (left + up) >> 1, paeth]
    raw = b"".join(bytes([f]) + ((x[y] - predictors[f][y]) & 255).astype(np.uint8).tobytes()
                   for y, f in enumerate(filters))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, {1: 0, 2: 4, 3: 2, 4: 6}[c], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw))
            + _chunk(b"IEND", b""))


@functools.lru_cache(maxsize=1)
def image_seeds() -> dict[str, bytes]:
    """Crops of a README image (a real render), as the writer saves them and with every row filter."""
    face = read_png(REPO / "docs" / "images" / "readme_head_pair.png")[200:224, 240:272]
    g = np.random.default_rng(2)
    filters = list(g.integers(0, 5, face.shape[0]))
    rgba = np.concatenate([face, g.integers(0, 256, face.shape[:2] + (1,), dtype=np.uint8)], 2)
    sub_up = list(g.integers(0, 3, face.shape[0]))  # None, Sub and Up only: decoded row by row
    return {"rgb": encode_png(face), "rgb_filters": png_with_filters(face, filters),
            "rgb_sub_up": png_with_filters(face, sub_up), "grey_alpha_sub_up": png_with_filters(rgba[:, :, 2:], sub_up),
            "grey_filters": png_with_filters(face[:, :, :1], filters[::-1]),
            "grey_alpha": png_with_filters(rgba[:, :, 2:], filters), "rgba_filters": png_with_filters(rgba, filters)}


def image_round_trip(folder: Path):
    def then(img) -> None:
        again = folder / "again.png"
        again.write_bytes(encode_png(img))
        assert np.array_equal(read_png(again), img)

    return then


def _png_chunks(data: bytes) -> list[list]:
    out, pos = [], 8
    while pos + 12 <= len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        out.append([data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]])
        pos += 12 + n
    return out


def mutate_png(data: bytes, rng: random.Random) -> bytes:
    """Damage a PNG's structure, then (mostly) rewrite the CRCs so the damage reaches the decoder:
    IHDR fields, the inflated rows (filter bytes, length), a zlib stream that inflates to far more
    than the image (a decompression bomb), chunks dropped, repeated, reordered or split."""
    chunks = _png_chunks(data)
    ihdr = list(struct.unpack(">IIBBBBB", chunks[0][1]))
    idat = zlib.decompress(b"".join(body for tag, body in chunks if tag == b"IDAT"))
    op = rng.randrange(7)
    if op == 0:
        field = rng.randrange(7)
        ihdr[field] = rng.choice([0, 1, 2, 3, 4, 6, 7, 8, 16, 255] if field >= 2 else
                                 [0, 1, ihdr[field] - 1, ihdr[field] + 1, 8192, 8193, 2**31 - 1, 2**32 - 1])
    elif op == 1:
        raw = bytearray(idat)
        stride = len(raw) // ihdr[1] if ihdr[1] else 1
        for _ in range(rng.randint(1, 3)):
            raw[rng.randrange(0, len(raw), stride)] = rng.choice([0, 1, 2, 3, 4, 5, 255])
        idat = bytes(raw)
    elif op == 2:
        idat = idat[: rng.randrange(len(idat))] if rng.random() < 0.5 else idat + bytes(rng.randrange(1, 99))
    elif op == 3:
        idat = bytes(rng.choice([10**5, 10**7]))  # 10 MB of zeros deflate to 10 kB
    elif op == 4:
        i = rng.randrange(len(chunks))
        if rng.random() < 0.5:
            del chunks[i]
        else:
            chunks.insert(i, list(chunks[i]))
    elif op == 5:
        i, j = rng.randrange(len(chunks)), rng.randrange(len(chunks))
        chunks[i], chunks[j] = chunks[j], chunks[i]
    else:
        chunks.insert(rng.randrange(len(chunks) + 1), [rng.choice([b"tEXt", b"PLTE", b"IDAT", b"gAMA", b"\x00\xff\x00\xff"]),
                                                       bytes(rng.randrange(0, 40))])
    if op in (0, 1, 2, 3):
        comp = zlib.compress(idat, rng.choice([0, 1, 9]))
        cut = rng.randrange(len(comp) + 1) if rng.random() < 0.3 else len(comp)
        pieces = [comp[:cut], comp[cut:]]
        rest = [c for c in chunks if c[0] not in (b"IHDR", b"IDAT")]
        chunks = [[b"IHDR", struct.pack(">IIBBBBB", *(v & (0xFFFFFFFF if k < 2 else 0xFF) for k, v in enumerate(ihdr)))]]
        chunks += [[b"IDAT", p] for p in pieces if p] + rest
    out = b"\x89PNG\r\n\x1a\n" + b"".join(_chunk(tag, body) for tag, body in chunks)
    return mutate_bytes(out, rng, protect=8) if rng.random() < 0.1 else out


@fuzz_settings(150)
@given(seed=SEEDS)
def test_image_fuzz_bytes(workdir, seed):
    rng = random.Random(seed)
    name = rng.choice(sorted(image_seeds()))
    data = mutate_bytes(image_seeds()[name], rng, rounds=rng.randint(1, 3), protect=8)
    folder = workdir
    path = folder / f"{name}.png"
    path.write_bytes(data)
    check("image", read_png, path, ImageFileError, then=image_round_trip(folder))


@fuzz_settings(150)
@given(seed=SEEDS)
def test_image_fuzz_structure(workdir, seed):
    rng = random.Random(seed)
    name = rng.choice(sorted(image_seeds()))
    data = mutate_png(image_seeds()[name], rng)
    folder = workdir
    path = folder / f"{name}.png"
    path.write_bytes(data)
    check("image", read_png, path, ImageFileError, then=image_round_trip(folder))


def test_image_seeds_decode_every_filter(tmp_path):
    """The decoder undoes all five PNG row filters (the seeds' rows use them in a random mix) exactly."""
    face = read_png(REPO / "docs" / "images" / "readme_head_pair.png")[200:224, 240:272]
    for name, data in image_seeds().items():
        path = tmp_path / f"{name}.png"
        path.write_bytes(data)
        img = check("image", read_png, path, ImageFileError, then=image_round_trip(tmp_path))
        colour = {"rgb": face, "rgb_filters": face, "rgb_sub_up": face, "grey_filters": face[:, :, :1],
                  "grey_alpha": face[:, :, 2:], "grey_alpha_sub_up": face[:, :, 2:], "rgba_filters": face}[name]
        assert np.array_equal(img[:, :, :colour.shape[2]], colour), name


@pytest.mark.parametrize("path", corpus_files("image"), ids=lambda p: p.name)
def test_image_corpus(path, tmp_path):
    """Every input that once broke the PNG reader, found by fuzzing or made by hand."""
    check("image", read_png, path, ImageFileError, then=image_round_trip(tmp_path))



# ===================================================================================== reasons and entry points
#: What each hand-made corpus file must be refused for: the field or element, not only the error type.
REASONS = {
    "ply/hand-20-million-vertices-in-100-bytes.ply": "declares 20,000,000 Gaussians; at most 10,000,000",
    "ply/hand-count-2-64.ply": "header line 3: element 'vertex' declares 18446744073709551616 rows",
    "ply/found-count-5000-digits.ply": "(5000 digits) rows",
    "ply/found-f_dc-declared-int.ply": "3DGS properties must be float or double, but the header declares f_dc_1 (uint)",
    "ply/hand-empty.ply": "empty file",
    "ply/hand-header-non-ascii.ply": "header line 4 is not ASCII",
    "ply/hand-no-end-header.ply": "missing 'end_header'",
    "ply/hand-not-a-ply.ply": "not a PLY file",
    "checkpoint/hand-audio-smooth-100001-taps.safetensors": "config audio_smooth = 100001 is longer than the 132 taps",
    "checkpoint/hand-mlp-layers-100-million.safetensors": "config mlp_layers = 100000000 asks for more layers",
    "checkpoint/hand-width-100000.safetensors": "the config makes it F32 [100000, 1, 5]",
    "checkpoint/hand-triplane-resolution-65536.safetensors": "weights do not match the stored config",
    "checkpoint/hand-config-nested-100000-deep.safetensors": "metadata 'config' nests deeper than 64 levels",
    "checkpoint/hand-config-int-of-4400-digits.safetensors": "metadata 'config' is not valid JSON",
    "checkpoint/hand-extra-not-an-object.safetensors": "metadata 'extra' is a JSON list, not an object",
    "checkpoint/found-dtype-is-a-list.safetensors": "unknown dtype",
    "checkpoint/hand-nan-weight.safetensors": "tensor 'audio.smooth' has 1 non-finite",
    "checkpoint/hand-header-length-2-63.safetensors": "header length 9,223,372,036,854,775,808 bytes",
    "checkpoint/hand-shape-larger-than-data.safetensors": "shape [8000000, 1, 5] of F32 needs 160,000,000 bytes",
    "image/hand-inflates-to-200-MB.png": "IDAT: more image data than the 1x1 image of IHDR",
    "image/hand-ihdr-4-billion-square.png": "IHDR size 4294967295x4294967295",
    "image/hand-ihdr-too-short.png": "IHDR holds 6 bytes, not 13",
    "image/hand-filter-type-7.png": "row 0: unknown filter type 7",
    "image/hand-chunk-declares-2-GB.png": "chunk 'IHDR' at byte 8 declares 2,147,483,648 bytes",
}
_LOADERS = {"ply": (read_ply, PlyError), "checkpoint": (_load_any_head, CheckpointError),
            "image": (read_png, ImageFileError)}


@pytest.mark.parametrize("name", sorted(REASONS))
def test_corpus_files_are_refused_for_their_reason(name):
    from tests.fuzz.mutate import CORPUS

    loader, error = _LOADERS[name.split("/")[0]]
    path = CORPUS / name
    with pytest.raises(error) as exc:
        loader(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: ") and REASONS[name] in message and "\n" not in message


def test_the_512_pixel_paeth_image_decodes_to_its_pixels():
    """Every row Paeth-filtered, all zero: the vectorised decoder gives the zero image (a per-pixel
    decoder took 51 s on it)."""
    from tests.fuzz.mutate import CORPUS

    img = read_png(CORPUS / "image" / "hand-512x512-all-paeth.png")
    assert img.shape == (512, 512, 3) and not img.any()


def test_a_missing_file_or_a_folder_is_the_loaders_error(tmp_path):
    for loader, error in _LOADERS.values():
        with pytest.raises(error, match="nowhere"):
            loader(tmp_path / "nowhere")
        (tmp_path / "folder.x").mkdir(exist_ok=True)
        with pytest.raises(error, match="folder.x: not a regular file"):
            loader(tmp_path / "folder.x")


def _refused(loader_name: str) -> list[Path]:
    """The corpus files the loader does not load (whatever it raises: the test then says what)."""
    loader, _error = _LOADERS[loader_name]
    out = []
    for path in corpus_files(loader_name):
        try:
            loader(path)
        except Exception:  # noqa: BLE001 - collection must not stop on a loader that regressed
            out.append(path)
    return out


@pytest.mark.parametrize("path", _refused("ply"), ids=lambda p: p.name)
def test_cli_render_of_a_hostile_ply_is_one_line(path, tmp_path, capsys):
    """`main.py render FILE.ply` prints the loader's one-line error naming the file and exits 2."""
    import main

    out = tmp_path / "x.png"
    assert main.main(["render", str(path), "-o", str(out), "--size", "32x32"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("path", [p for p in corpus_files("checkpoint") if p.name.startswith("hand-")][:4],
                         ids=lambda p: p.name)
def test_cli_export_with_a_hostile_checkpoint_is_one_line(path, tmp_path, capsys):
    """`main.py export --driver model --checkpoint FILE` prints the loader's one-line error naming the
    file and exits 2, writing nothing."""
    import main

    out = tmp_path / "x.png"
    assert main.main(["export", "-o", str(out), "--driver", "model", "--checkpoint", str(path), "--range", "0:1",
                      "--size", "32x32", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and err.count("\n") == 1 and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
