"""PLY reader/writer: files laid out byte for byte as the original 3DGS code and other splat tools
write them (built here with struct/numpy, not with the writer), error messages, round trips."""
from __future__ import annotations

import os
import struct

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.gaussians import GaussianCloud
from core.ply import PlyError, PlyHeader, read_ply, read_ply_header, write_ply

_NP = {"float": "<f4", "double": "<f8", "int": "<i4", "uint": "<u4", "short": "<i2", "ushort": "<u2",
       "uchar": "<u1", "char": "<i1", "float32": "<f4", "float64": "<f8", "int32": "<i4", "uint8": "<u1"}


# ------------------------------------------------------------------------------- fixture builders
def inria_names(degree: int, normals: bool = True) -> list[str]:
    """Vertex property names in the order the original 3DGS code writes them."""
    k = (degree + 1) ** 2
    names = ["x", "y", "z"] + (["nx", "ny", "nz"] if normals else [])
    names += [f"f_dc_{i}" for i in range(3)] + [f"f_rest_{i}" for i in range(3 * (k - 1))]
    names += ["opacity"] + [f"scale_{i}" for i in range(3)] + [f"rot_{i}" for i in range(4)]
    return names


def random_splat_columns(n: int, degree: int, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-property float32 columns of a 3DGS file, and the SH array [N, K, 3] they encode."""
    rng = np.random.default_rng(seed)
    k = (degree + 1) ** 2
    sh = rng.standard_normal((n, k, 3)).astype(np.float32)
    cols = {c: rng.standard_normal(n).astype(np.float32) for c in ("x", "y", "z", "opacity")}
    for i in range(3):
        cols[f"scale_{i}"] = rng.uniform(-6, 0, n).astype(np.float32)
        cols[f"f_dc_{i}"] = sh[:, 0, i]
    for i in range(4):
        cols[f"rot_{i}"] = rng.uniform(0.1, 1.0, n).astype(np.float32)
    for c in ("nx", "ny", "nz"):
        cols[c] = np.zeros(n, np.float32)
    # Channel-major rest coefficients, exactly as 3DGS flattens features_rest.transpose(1, 2).
    for ch in range(3):
        for j in range(1, k):
            cols[f"f_rest_{ch * (k - 1) + j - 1}"] = sh[:, j, ch]
    return cols, sh


def header_bytes(elements, *, fmt="binary_little_endian", extra_lines=(), eol=b"\n") -> bytes:
    """elements: [(name, count, [(type, prop name) or ('list', count_type, item_type, name)])]."""
    lines = ["ply", f"format {fmt} 1.0", *extra_lines]
    for name, count, props in elements:
        lines.append(f"element {name} {count}")
        for p in props:
            lines.append("property " + " ".join(p))
    lines.append("end_header")
    return eol.join(s.encode("ascii") for s in lines) + eol


def build_ply(path, props: list[tuple[str, str]], cols: dict[str, np.ndarray], *, n: int | None = None,
              fmt="binary_little_endian", extra_lines=(), eol=b"\n", after=(), tail=b"") -> None:
    """Write a vertex element with numpy, independently of core.ply.write_ply."""
    rows = len(next(iter(cols.values()))) if n is None else n
    data = np.empty(len(next(iter(cols.values()))), dtype=[(nm, _NP[t]) for t, nm in props])
    for t, nm in props:
        data[nm] = cols[nm]
    body = data.tobytes()
    if fmt == "binary_big_endian":
        body = data.astype(data.dtype.newbyteorder(">")).tobytes()
    head = header_bytes([("vertex", rows, props), *after], fmt=fmt, extra_lines=extra_lines, eol=eol)
    with open(path, "wb") as f:
        f.write(head + body + tail)


def write_inria_struct(path, n: int, degree: int, seed: int = 0):
    """A 3DGS file as plyfile writes it for the original code, row by row with struct."""
    names = inria_names(degree)
    cols, sh = random_splat_columns(n, degree, seed)
    head = header_bytes([("vertex", n, [("float", nm) for nm in names])])
    row = struct.Struct("<" + "f" * len(names))
    with open(path, "wb") as f:
        f.write(head)
        for i in range(n):
            f.write(row.pack(*(float(cols[nm][i]) for nm in names)))
    return cols, sh


def assert_matches_columns(cloud: GaussianCloud, cols: dict[str, np.ndarray], sh: np.ndarray) -> None:
    def stack(names):
        return torch.from_numpy(np.stack([cols[nm].astype(np.float32) for nm in names], 1))

    assert torch.equal(cloud.means, stack(["x", "y", "z"]))
    assert torch.equal(cloud.quats, stack([f"rot_{i}" for i in range(4)]))
    assert torch.equal(cloud.log_scales, stack([f"scale_{i}" for i in range(3)]))
    assert torch.equal(cloud.opacities, torch.from_numpy(cols["opacity"].astype(np.float32)))
    assert torch.equal(cloud.sh, torch.from_numpy(sh.astype(np.float32)))
    for f in ("means", "quats", "log_scales", "opacities", "sh"):
        assert getattr(cloud, f).dtype == torch.float32


# ------------------------------------------------------------------------------- foreign files
@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_reads_inria_file_written_row_by_row(tmp_path, degree):
    path = tmp_path / "point_cloud.ply"
    cols, sh = write_inria_struct(path, 7, degree, seed=degree)
    cloud = read_ply(path)
    assert len(cloud) == 7 and cloud.sh_degree == degree
    assert_matches_columns(cloud, cols, sh)
    assert cloud.attributes == {}  # normals are dropped, nothing else is extra


def test_sh_rest_is_channel_major(tmp_path):
    # Code each f_rest value by its index so a transposed reading cannot pass.
    n, k = 2, 16
    names = inria_names(3)
    cols = {nm: np.full(n, 0.5, np.float32) for nm in names}
    for i in range(45):
        cols[f"f_rest_{i}"] = np.array([i, 100 + i], np.float32)
    build_ply(tmp_path / "a.ply", [("float", nm) for nm in names], cols)
    sh = read_ply(tmp_path / "a.ply").sh
    for ch in range(3):
        for j in range(1, k):
            assert sh[0, j, ch] == ch * 15 + j - 1
            assert sh[1, j, ch] == 100 + ch * 15 + j - 1


def test_reads_file_without_normals_in_other_order_with_comments(tmp_path):
    names = inria_names(1, normals=False)
    rng = np.random.default_rng(3)
    order = list(rng.permutation(names))
    cols, sh = random_splat_columns(5, 1, seed=3)
    build_ply(tmp_path / "b.ply", [("float", nm) for nm in order], cols,
              extra_lines=["comment Generated by SomeSplatTool", "obj_info scale 1.0", "comment  spaced  out"])
    cloud = read_ply(tmp_path / "b.ply")
    assert_matches_columns(cloud, cols, sh)
    header = read_ply_header(tmp_path / "b.ply")
    assert header.property_names == tuple(order)
    assert "Generated by SomeSplatTool" in header.comments


def test_reads_crlf_header(tmp_path):
    cols, sh = random_splat_columns(4, 0, seed=4)
    # First data byte 0x0A would be eaten by a reader that strips any line end after end_header.
    cols["x"][0] = np.frombuffer(b"\n\r\n\r", "<f4")[0]
    build_ply(tmp_path / "c.ply", [("float", nm) for nm in inria_names(0)], cols, eol=b"\r\n")
    assert_matches_columns(read_ply(tmp_path / "c.ply"), cols, sh)


def test_reads_sized_type_names(tmp_path):
    # Some exporters spell types float32/uint8/... instead of float/uchar/...
    cols, sh = random_splat_columns(3, 0, seed=9)
    cols["seg"] = np.array([0, 200, 255], np.uint8)
    props = [("float32", nm) for nm in inria_names(0)] + [("uint8", "seg")]
    build_ply(tmp_path / "t.ply", props, cols)
    cloud = read_ply(tmp_path / "t.ply")
    assert_matches_columns(cloud, cols, sh)
    assert cloud.attributes["seg"].dtype == torch.uint8 and cloud.attributes["seg"].tolist() == [0, 200, 255]
    assert read_ply_header(tmp_path / "t.ply").properties[0].type == "float32"


def test_reads_double_properties_as_float32(tmp_path):
    cols, sh = random_splat_columns(6, 2, seed=5)
    doubles = {nm: c.astype(np.float64) + 1e-12 for nm, c in cols.items()}
    build_ply(tmp_path / "d.ply", [("double", nm) for nm in inria_names(2)], doubles)
    cloud = read_ply(tmp_path / "d.ply")
    expect = {nm: c.astype(np.float32) for nm, c in doubles.items()}
    sh32 = sh.astype(np.float64) + 1e-12
    assert_matches_columns(cloud, expect, sh32.astype(np.float32))


def test_vertex_followed_by_other_elements(tmp_path):
    cols, sh = random_splat_columns(3, 0, seed=6)
    after = [("face", 0, [("list", "uchar", "int", "vertex_indices")]),
             ("camera", 1, [("float", "fx"), ("float", "fy")])]
    build_ply(tmp_path / "e.ply", [("float", nm) for nm in inria_names(0)], cols, after=after,
              tail=struct.pack("<ff", 500.0, 510.0))
    assert_matches_columns(read_ply(tmp_path / "e.ply"), cols, sh)
    header = read_ply_header(tmp_path / "e.ply")
    assert [e.name for e in header.elements] == ["vertex", "face", "camera"]
    assert header.elements[1].properties[0].is_list


def test_element_before_vertex_is_skipped(tmp_path):
    cols, sh = random_splat_columns(3, 0, seed=7)
    props = [("float", nm) for nm in inria_names(0)]
    data = np.empty(3, dtype=[(nm, "<f4") for _, nm in props])
    for _, nm in props:
        data[nm] = cols[nm]
    head = header_bytes([("meta", 2, [("int", "id")]), ("vertex", 3, props)])
    (tmp_path / "f.ply").write_bytes(head + struct.pack("<ii", 7, 8) + data.tobytes())
    assert_matches_columns(read_ply(tmp_path / "f.ply"), cols, sh)


def test_extra_properties_become_attributes(tmp_path):
    n = 6
    cols, sh = random_splat_columns(n, 0, seed=8)
    rng = np.random.default_rng(8)
    cols.update({
        "label": rng.integers(-5, 5, n).astype(np.int32),
        "zone_0": rng.integers(0, 255, n).astype(np.uint8),
        "zone_1": rng.integers(0, 255, n).astype(np.uint8),
        "zone_2": rng.integers(0, 255, n).astype(np.uint8),
        "confidence": rng.random(n),
        "mixed_0": rng.random(n).astype(np.float32),
        "mixed_1": rng.integers(0, 9, n).astype(np.int32),
        "gap_0": rng.random(n).astype(np.float32),
        "gap_2": rng.random(n).astype(np.float32),
        "count": rng.integers(0, 60000, n).astype(np.uint16),
        "f_dc_3": rng.random(n).astype(np.float32),
    })
    extra = [("int", "label"), ("uchar", "zone_0"), ("uchar", "zone_1"), ("uchar", "zone_2"),
             ("double", "confidence"), ("float", "mixed_0"), ("int", "mixed_1"), ("float", "gap_0"),
             ("float", "gap_2"), ("ushort", "count"), ("float", "f_dc_3")]
    build_ply(tmp_path / "g.ply", [("float", nm) for nm in inria_names(0)] + extra, cols)
    cloud = read_ply(tmp_path / "g.ply")
    assert_matches_columns(cloud, cols, sh)
    a = cloud.attributes
    assert set(a) == {"label", "zone", "confidence", "mixed_0", "mixed_1", "gap_0", "gap_2", "count", "f_dc_3"}
    assert a["label"].dtype == torch.int32 and a["label"].shape == (n,)
    assert torch.equal(a["label"], torch.from_numpy(cols["label"]))
    assert a["zone"].dtype == torch.uint8 and a["zone"].shape == (n, 3)
    assert torch.equal(a["zone"], torch.from_numpy(np.stack([cols[f"zone_{i}"] for i in range(3)], 1)))
    assert a["confidence"].dtype == torch.float32
    assert torch.equal(a["confidence"], torch.from_numpy(cols["confidence"].astype(np.float32)))
    # Members of one type only, and a complete 0..k-1 run, are grouped.
    assert a["mixed_1"].dtype == torch.int32 and a["gap_2"].shape == (n,)
    assert a["count"].dtype == torch.int32 and torch.equal(a["count"], torch.from_numpy(cols["count"].astype(np.int32)))


# ------------------------------------------------------------------------------- errors
def _message(path, excinfo) -> str:
    assert isinstance(excinfo.value, ValueError)
    msg = str(excinfo.value)
    assert str(path) in msg
    return msg


def _good(tmp_path, name="x.ply", n=4, degree=0, **kw):
    path = tmp_path / name
    cols, _ = random_splat_columns(n, degree)
    build_ply(path, [("float", nm) for nm in inria_names(degree)], cols, **kw)
    return path, cols


def test_error_empty_file(tmp_path):
    path = tmp_path / "empty.ply"
    path.write_bytes(b"")
    with pytest.raises(PlyError) as e:
        read_ply(path)
    assert "empty" in _message(path, e)


def test_error_bad_magic(tmp_path):
    path = tmp_path / "model.ply"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(PlyError) as e:
        read_ply(path)
    assert "not a PLY" in _message(path, e)


def test_error_ascii(tmp_path):
    path = tmp_path / "ascii.ply"
    path.write_bytes(header_bytes([("vertex", 1, [("float", nm) for nm in inria_names(0)])], fmt="ascii")
                     + b" ".join([b"0.5"] * 17) + b"\n")
    assert read_ply_header(path).format == "ascii"  # inspection still works
    with pytest.raises(PlyError) as e:
        read_ply(path)
    msg = _message(path, e)
    assert "ASCII" in msg and "binary little-endian is required" in msg


def test_error_big_endian(tmp_path):
    path, _ = _good(tmp_path, fmt="binary_big_endian")
    with pytest.raises(PlyError) as e:
        read_ply(path)
    assert "big-endian" in _message(path, e)


def test_error_missing_properties_listed(tmp_path):
    names = [nm for nm in inria_names(0) if nm not in ("opacity", "rot_3")]
    cols, _ = random_splat_columns(2, 0)
    path = tmp_path / "mesh.ply"
    build_ply(path, [("float", nm) for nm in names], cols)
    with pytest.raises(PlyError) as e:
        read_ply(path)
    msg = _message(path, e)
    assert "missing" in msg and "opacity" in msg and "rot_3" in msg and "scale_0" not in msg


def test_error_list_property_in_vertex(tmp_path):
    path = tmp_path / "list.ply"
    props = [("float", nm) for nm in inria_names(0)] + [("list", "uchar", "int", "neighbours")]
    path.write_bytes(header_bytes([("vertex", 0, props)]))
    with pytest.raises(PlyError) as e:
        read_ply(path)
    msg = _message(path, e)
    assert "list" in msg and "neighbours" in msg


def test_error_truncated(tmp_path):
    path, _ = _good(tmp_path, n=10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 17 * 4 * 3 - 5])  # 6 full rows and part of a 7th remain
    with pytest.raises(PlyError) as e:
        read_ply(path)
    msg = _message(path, e)
    assert "truncated" in msg and "10 vertices" in msg and f"{6 * 68 + 63} bytes" in msg
    assert "6 complete" in msg


def test_error_header_undercounts(tmp_path):
    path, _ = _good(tmp_path, n=5, tail=bytes(68 * 3))
    with pytest.raises(PlyError) as e:
        read_ply(path)
    msg = _message(path, e)
    assert "5 vertices" in msg and "204 more bytes" in msg and "count" in msg


def test_error_non_finite_names_field_and_counts_rows(tmp_path):
    cols, _ = random_splat_columns(8, 0)
    cols["opacity"][[1, 4, 6]] = [np.nan, np.inf, -np.inf]
    cols["scale_1"][4] = np.nan
    path = tmp_path / "nan.ply"
    build_ply(path, [("float", nm) for nm in inria_names(0)], cols)
    with pytest.raises(PlyError) as e:
        read_ply(path)
    msg = _message(path, e)
    assert "non-finite" in msg and "3 of 8" in msg
    assert "'opacity': 3 rows (first bad row 1)" in msg and "'scale_1': 1 rows (first bad row 4)" in msg


def test_error_double_overflowing_float32(tmp_path):
    cols, _ = random_splat_columns(3, 0)
    cols = {k: v.astype(np.float64) for k, v in cols.items()}
    cols["x"][2] = 1e300
    path = tmp_path / "big.ply"
    build_ply(path, [("double", nm) for nm in inria_names(0)], cols)
    with pytest.raises(PlyError) as e:
        read_ply(path)
    assert "'x': 1 rows" in _message(path, e)


def test_error_unsupported_rest_count(tmp_path):
    names = inria_names(0) + [f"f_rest_{i}" for i in range(12)]
    cols, _ = random_splat_columns(2, 0)
    cols.update({f"f_rest_{i}": np.zeros(2, np.float32) for i in range(12)})
    path = tmp_path / "rest.ply"
    build_ply(path, [("float", nm) for nm in names], cols)
    with pytest.raises(PlyError) as e:
        read_ply(path)
    msg = _message(path, e)
    assert "12" in msg and "0, 9, 24 or 45" in msg


def test_error_no_end_header(tmp_path):
    path = tmp_path / "cut.ply"
    path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\n")
    with pytest.raises(PlyError) as e:
        read_ply_header(path)
    assert "end_header" in _message(path, e)


def test_error_zero_quaternion_names_file(tmp_path):
    cols, _ = random_splat_columns(4, 0)
    for i in range(4):
        cols[f"rot_{i}"][2] = 0.0
    path = tmp_path / "q.ply"
    build_ply(path, [("float", nm) for nm in inria_names(0)], cols)
    with pytest.raises(PlyError) as e:
        read_ply(path)
    msg = _message(path, e)
    assert "quats" in msg and "1 of 4" in msg


def test_read_ply_header(tmp_path):
    path, _ = _good(tmp_path, n=9, degree=3, extra_lines=["comment hello"])
    h = read_ply_header(path)
    assert isinstance(h, PlyHeader)
    assert (h.format, h.vertex_count, h.sh_degree) == ("binary_little_endian", 9, 3)
    assert h.property_names == tuple(inria_names(3))
    assert all(p.type == "float" for p in h.properties)
    assert h.data_offset + 9 * 62 * 4 == os.path.getsize(path)


# ------------------------------------------------------------------------------- writer
def _cloud(n=5, degree=1, seed=0, attributes=None) -> GaussianCloud:
    g = torch.Generator().manual_seed(seed)
    k = (degree + 1) ** 2
    return GaussianCloud(
        means=torch.randn(n, 3, generator=g), quats=torch.rand(n, 4, generator=g) + 0.1,
        log_scales=torch.randn(n, 3, generator=g), opacities=torch.randn(n, generator=g),
        sh=torch.randn(n, k, 3, generator=g), attributes=attributes or {},
    )


def test_writer_output_is_the_inria_layout(tmp_path):
    n = 4
    cloud = _cloud(n, degree=3, attributes={"zone": torch.tensor([0, 1, 2, 3], dtype=torch.int32),
                                            "w": torch.rand(n, 2)})
    path = tmp_path / "out.ply"
    write_ply(cloud, path)
    raw = path.read_bytes()
    names = inria_names(3)
    expect_head = ("ply\nformat binary_little_endian 1.0\nelement vertex 4\n"
                   + "".join(f"property float {nm}\n" for nm in names)
                   + "property int zone\nproperty float w_0\nproperty float w_1\nend_header\n").encode()
    assert raw.startswith(expect_head)
    # A strict reader of the 3DGS layout: fixed dtype, fixed order.
    dt = np.dtype([(nm, "<f4") for nm in names] + [("zone", "<i4"), ("w_0", "<f4"), ("w_1", "<f4")])
    assert len(raw) == len(expect_head) + n * dt.itemsize
    rows = np.frombuffer(raw, dt, offset=len(expect_head))
    assert np.array_equal(rows["x"], cloud.means[:, 0].numpy())
    assert np.array_equal(rows["nz"], np.zeros(n, np.float32))
    assert np.array_equal(rows["f_dc_1"], cloud.sh[:, 0, 1].numpy())
    assert np.array_equal(rows["f_rest_17"], cloud.sh[:, 3, 1].numpy())  # channel 1, coefficient 3
    assert np.array_equal(rows["opacity"], cloud.opacities.numpy())
    assert np.array_equal(rows["rot_0"], cloud.quats[:, 0].numpy())
    assert np.array_equal(rows["zone"], np.arange(4))
    assert np.array_equal(rows["w_1"], cloud.attributes["w"][:, 1].numpy())


def test_writer_int64_and_bool_attributes(tmp_path):
    cloud = _cloud(3, attributes={"ids": torch.tensor([1, -2, 3]), "flag": torch.tensor([True, False, True])})
    write_ply(cloud, tmp_path / "a.ply")
    back = read_ply(tmp_path / "a.ply").attributes
    assert back["ids"].dtype == torch.int32 and back["ids"].tolist() == [1, -2, 3]
    assert back["flag"].dtype == torch.uint8 and back["flag"].tolist() == [1, 0, 1]
    big = _cloud(2, attributes={"ids": torch.tensor([0, 2**40])})
    with pytest.raises(PlyError, match="32-bit"):
        write_ply(big, tmp_path / "b.ply")


def test_writer_keeps_non_negative_int64_as_uint_so_it_reads_back_int64(tmp_path):
    # The default head's part and mirror indices, and a foreign file's uint property (read as int64,
    # values past 2^31 included), round-trip with their dtype; a file's uint used to be unsavable.
    ids = torch.tensor([0, 7, 2**31 + 5, 2**32 - 1])
    write_ply(_cloud(4, attributes={"ids": ids, "part": torch.tensor([0, 1, 2, 3])}), tmp_path / "a.ply")
    assert "property uint ids" in (tmp_path / "a.ply").read_bytes()[:2000].decode("ascii", "replace")
    back = read_ply(tmp_path / "a.ply").attributes
    assert back["ids"].dtype == torch.int64 and torch.equal(back["ids"], ids)
    assert back["part"].dtype == torch.int64 and back["part"].tolist() == [0, 1, 2, 3]
    write_ply(_cloud(4, attributes=back), tmp_path / "b.ply")
    assert torch.equal(read_ply(tmp_path / "b.ply").attributes["ids"], ids)


@pytest.mark.parametrize("attributes, words", [
    ({"scale": torch.zeros(3, 3)}, "scale_0"),
    ({"opacity": torch.zeros(3)}, "3DGS property"),
    ({"f_rest_50": torch.zeros(3)}, "3DGS property"),
    ({"label_0": torch.zeros(3)}, "would not read back"),
    ({"a": torch.zeros(3, 2), "a_1": torch.zeros(3)}, "would not read back"),
    ({"grid": torch.zeros(3, 2, 2)}, "[3, 2, 2]"),
    ({"two words": torch.zeros(3)}, "ASCII"),
])
def test_writer_refuses_what_would_not_read_back(tmp_path, attributes, words):
    path = tmp_path / "keep.ply"
    write_ply(_cloud(3), path)
    before = path.read_bytes()
    with pytest.raises(PlyError) as e:
        write_ply(_cloud(3, attributes=attributes), path)
    assert words in _message(path, e)
    assert path.read_bytes() == before  # the old file is untouched
    assert os.listdir(tmp_path) == ["keep.ply"]


def test_writer_refuses_float64_beyond_float32(tmp_path):
    cloud = _cloud(3)
    cloud = cloud.replace(means=cloud.means.double(), attributes={"w": torch.tensor([1.0, 1e300, 0.0], dtype=torch.float64)})
    cloud.means[1, 2] = 1e40
    with pytest.raises(PlyError) as e:
        write_ply(cloud, tmp_path / "o.ply")
    msg = _message(tmp_path / "o.ply", e)
    assert "beyond the float32 range in z, w" in msg
    assert os.listdir(tmp_path) == []
    small = _cloud(2, attributes={"w": torch.tensor([0.25, -3.5], dtype=torch.float64),
                                  "h": torch.tensor([1.5, 2.0], dtype=torch.bfloat16)})
    write_ply(small.replace(means=small.means.double()), tmp_path / "ok.ply")
    back = read_ply(tmp_path / "ok.ply")
    assert torch.equal(back.means, small.means) and back.attributes["w"].tolist() == [0.25, -3.5]
    assert back.attributes["h"].dtype == torch.float32 and back.attributes["h"].tolist() == [1.5, 2.0]


def test_failed_write_leaves_no_temp_file(tmp_path):
    target = tmp_path / "is_a_dir.ply"
    target.mkdir()
    (target / "inside").write_text("x")
    with pytest.raises(OSError):
        write_ply(_cloud(3), target)
    assert sorted(os.listdir(tmp_path)) == ["is_a_dir.ply"]
    assert os.listdir(target) == ["inside"]


def test_empty_cloud_round_trips(tmp_path):
    cloud = _cloud(0, degree=2, attributes={"z": torch.zeros(0, 2, dtype=torch.int16)})
    write_ply(cloud, tmp_path / "e.ply")
    back = read_ply(tmp_path / "e.ply")
    assert len(back) == 0 and back.sh.shape == (0, 9, 3)
    assert back.attributes["z"].shape == (0, 2) and back.attributes["z"].dtype == torch.int16


_ATTR_DTYPES = {"f4": torch.float32, "i4": torch.int32, "u1": torch.uint8, "i1": torch.int8, "i2": torch.int16}
_RESERVED = {"x", "y", "z", "nx", "ny", "nz", "opacity", "means", "quats", "sh", "opacities", "f_dc"}


@st.composite
def clouds(draw):
    n = draw(st.integers(0, 12))
    k = (draw(st.integers(0, 3)) + 1) ** 2
    finite = st.floats(width=32, allow_nan=False, allow_infinity=False)

    def arr(shape, elements=finite, dtype=np.float32):
        return torch.from_numpy(draw(hnp.arrays(dtype, shape, elements=elements)))

    quats = arr((n, 4))
    quats[quats.norm(dim=1) < 1e-6, 0] = 1.0  # the cloud refuses zero quaternions
    names = draw(st.lists(st.text("abcdefgh_", min_size=1, max_size=5)
                          .filter(lambda s: s not in _RESERVED and not s.endswith("_")),
                          unique=True, max_size=4))
    attributes = {}
    for name in names:
        code = draw(st.sampled_from(sorted(_ATTR_DTYPES)))
        shape = (n,) if draw(st.booleans()) else (n, draw(st.integers(1, 4)))
        if code == "f4":
            attributes[name] = arr(shape)
        else:
            attributes[name] = torch.from_numpy(draw(hnp.arrays(np.dtype(code), shape)))
    return GaussianCloud(means=arr((n, 3)), quats=quats, log_scales=arr((n, 3)), opacities=arr((n,)),
                         sh=arr((n, k, 3)), attributes=attributes)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cloud=clouds())
def test_round_trip_is_bit_identical(tmp_path, cloud):
    path = tmp_path / "rt.ply"
    write_ply(cloud, path)
    back = read_ply(path)
    for f in ("means", "quats", "log_scales", "opacities", "sh"):
        a, b = getattr(cloud, f), getattr(back, f)
        assert a.dtype == b.dtype and a.shape == b.shape
        # Compare bits so -0.0 and +0.0 are told apart.
        assert torch.equal(a.view(torch.int32), b.view(torch.int32)), f
    assert list(back.attributes) == list(cloud.attributes)
    for key, a in cloud.attributes.items():
        b = back.attributes[key]
        assert a.dtype == b.dtype and a.shape == b.shape, key
        if a.dtype == torch.float32:
            a, b = a.view(torch.int32), b.view(torch.int32)
        assert torch.equal(a, b), key
