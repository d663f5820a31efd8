"""Read and write Gaussian splats in the INRIA 3DGS PLY layout.

The layout is what the original 3D Gaussian Splatting code writes (and what most splat viewers and
tools read): one binary little-endian ``vertex`` element with float properties

    x y z  nx ny nz  f_dc_0..2  f_rest_0..f_rest_{3(K-1)-1}  opacity  scale_0..2  rot_0..3

where ``f_rest`` is channel-major (``f_rest_{c*(K-1) + (k-1)}`` is SH coefficient ``k >= 1`` of colour
channel ``c``), ``opacity`` is a logit, ``scale_*`` are natural logs of standard deviations and
``rot_*`` is a quaternion (w, x, y, z). These map one to one onto :class:`GaussianCloud` fields:

    means [N, 3] <- x y z            quats [N, 4] <- rot_0..3       log_scales [N, 3] <- scale_0..2
    opacities [N] <- opacity         sh [N, K, 3] <- f_dc (sh[:, 0]) and f_rest (sh[:, 1:])

Any other per-vertex property becomes an entry of ``GaussianCloud.attributes``: a property ``name``
is a 1-D attribute [N]; properties ``name_0..name_{k-1}`` of one type are grouped into a 2-D
attribute [N, k]. The normals ``nx ny nz`` are accepted and dropped (the writer writes zeros, as 3DGS
does). Integer properties stay integer (ushort/uint widen to int32/int64, as torch barely supports
unsigned types beyond uint8), float properties (float or double) are read as float32. The writer
stores float attributes as float, int64 as uint when its values are 0..2^32-1 (so it reads back as
int64) or else as int (when the values fit; read back as int32), and bool as uchar.

Only ``numpy`` is needed at import time; torch is imported when a cloud is built.
"""
from __future__ import annotations

from core.fileio import atomic_write_bytes
from core.limits import MAX_PLY_GAUSSIANS, MAX_PLY_HEADER_BYTES

import dataclasses
import os
import re
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from core.gaussians import GaussianCloud

__all__ = ["PlyError", "PlyProperty", "PlyElement", "PlyHeader", "read_ply", "read_ply_header", "write_ply"]


class PlyError(ValueError):
    """A PLY file (or a cloud to be saved as one) is not usable; the message names the file and why."""


# PLY scalar type names (both spellings of the spec) -> little-endian numpy dtype.
_PLY_TYPES: dict[str, str] = {
    "char": "<i1", "int8": "<i1",
    "uchar": "<u1", "uint8": "<u1",
    "short": "<i2", "int16": "<i2",
    "ushort": "<u2", "uint16": "<u2",
    "int": "<i4", "int32": "<i4",
    "uint": "<u4", "uint32": "<u4",
    "float": "<f4", "float32": "<f4",
    "double": "<f8", "float64": "<f8",
}

_SUPPORTED_FORMAT = "binary_little_endian"
_FORMATS = ("ascii", "binary_little_endian", "binary_big_endian")

# Headers are a few kilobytes; the cap stops a binary file without a header from being read whole
# while looking for one (core.limits says why it is this size).
_MAX_HEADER_BYTES = MAX_PLY_HEADER_BYTES

_NORMALS = ("nx", "ny", "nz")
_REQUIRED = ("x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity",
             "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3")
_F_REST = re.compile(r"^f_rest_(0|[1-9]\d*)$")
_INDEXED = re.compile(r"^(.+)_(0|[1-9]\d*)$")
# Property names are whitespace-separated header tokens.
_TOKEN = re.compile(r"^[!-~]+$")



def _is_3dgs_name(name: str) -> bool:
    return name in _REQUIRED or name in _NORMALS or bool(_F_REST.match(name))


# SH coefficients per channel (K) for each allowed f_rest count 3*(K-1).
_REST_TO_K = {0: 1, 9: 4, 24: 9, 45: 16}


@dataclasses.dataclass(frozen=True)
class PlyProperty:
    """One scalar (or list) property of an element. ``type`` is the PLY type name as in the header."""

    name: str
    type: str
    is_list: bool = False

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(_PLY_TYPES[self.type])


@dataclasses.dataclass(frozen=True)
class PlyElement:
    name: str
    count: int
    properties: tuple[PlyProperty, ...]

    @property
    def has_list(self) -> bool:
        return any(p.is_list for p in self.properties)

    @property
    def row_bytes(self) -> int:
        """Bytes per row; only meaningful without list properties."""
        return sum(p.dtype.itemsize for p in self.properties)


@dataclasses.dataclass(frozen=True)
class PlyHeader:
    """What a PLY header says. ``data_offset`` is the byte where the body starts."""

    path: str
    format: str
    version: str
    elements: tuple[PlyElement, ...]
    comments: tuple[str, ...]
    data_offset: int

    @property
    def vertex(self) -> PlyElement:
        for e in self.elements:
            if e.name == "vertex":
                return e
        raise PlyError(f"{self.path}: no 'vertex' element in the header")  # parse guarantees one

    @property
    def vertex_count(self) -> int:
        return self.vertex.count

    @property
    def properties(self) -> tuple[PlyProperty, ...]:
        """The vertex element's properties, in file order."""
        return self.vertex.properties

    @property
    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)

    @property
    def sh_degree(self) -> int | None:
        """SH degree implied by the f_rest count, or None when the count is not a 3DGS one."""
        k = _REST_TO_K.get(sum(1 for n in self.property_names if _F_REST.match(n)))
        return None if k is None else int(round(k ** 0.5)) - 1


# ---------------------------------------------------------------------------------------- header
def _parse_header(path: str, f) -> PlyHeader:
    first = f.readline(64)
    if not first:
        raise PlyError(f"{path}: empty file, expected a binary PLY")
    if first.rstrip(b"\r\n") != b"ply":
        raise PlyError(f"{path}: not a PLY file (bad magic {first[:16]!r}, expected b'ply')")
    fmt = version = None
    elements: list[tuple[str, int, list[PlyProperty]]] = []
    comments: list[str] = []
    total = len(first)
    line_no = 1
    while True:
        raw = f.readline(_MAX_HEADER_BYTES)
        line_no += 1
        total += len(raw)
        if not raw or total > _MAX_HEADER_BYTES:
            raise PlyError(f"{path}: header has no 'end_header' line (file ends or header exceeds "
                           f"{_MAX_HEADER_BYTES} bytes)")
        try:
            line = raw.rstrip(b"\r\n").decode("ascii")
        except UnicodeDecodeError:
            raise PlyError(f"{path}: header line {line_no} is not ASCII text "
                           "(missing 'end_header' before the binary data?)") from None
        words = line.split()
        if not words:
            continue
        key = words[0]
        if key == "end_header":
            break
        if key in ("comment", "obj_info"):
            comments.append(line.partition(key)[2].strip())
        elif key == "format":
            if len(words) != 3 or words[1] not in _FORMATS:
                raise PlyError(f"{path}: header line {line_no}: bad format line {line!r}")
            fmt, version = words[1], words[2]
        elif key == "element":
            if len(words) != 3 or not words[2].isdigit():
                raise PlyError(f"{path}: header line {line_no}: bad element line {line!r} "
                               "(expected 'element <name> <count>')")
            if len(words[2]) > 19:  # beyond int64, and far beyond any file (int() refuses 4,300 digits)
                count = words[2] if len(words[2]) <= 24 else f"{words[2][:20]}... ({len(words[2])} digits)"
                raise PlyError(f"{path}: header line {line_no}: element {words[1]!r} declares {count} "
                               "rows, more than any file holds")
            if any(e[0] == words[1] for e in elements):
                raise PlyError(f"{path}: header line {line_no}: element {words[1]!r} declared twice")
            elements.append((words[1], int(words[2]), []))
        elif key == "property":
            if not elements:
                raise PlyError(f"{path}: header line {line_no}: property before any element")
            if len(words) == 5 and words[1] == "list":
                if words[2] not in _PLY_TYPES or words[3] not in _PLY_TYPES:
                    raise PlyError(f"{path}: header line {line_no}: unknown type in {line!r}")
                prop = PlyProperty(words[4], words[3], is_list=True)
            elif len(words) == 3:
                if words[1] not in _PLY_TYPES:
                    raise PlyError(f"{path}: header line {line_no}: unknown property type {words[1]!r}")
                prop = PlyProperty(words[2], words[1])
            else:
                raise PlyError(f"{path}: header line {line_no}: bad property line {line!r}")
            props = elements[-1][2]
            if any(p.name == prop.name for p in props):
                raise PlyError(f"{path}: header line {line_no}: property {prop.name!r} declared twice "
                               f"in element {elements[-1][0]!r}")
            props.append(prop)
        else:
            raise PlyError(f"{path}: header line {line_no}: unknown keyword {key[:40]!r}"
                           + (" (missing 'end_header' before the binary data?)" if not key.isprintable() else ""))
    if fmt is None:
        raise PlyError(f"{path}: header has no 'format' line")
    if not any(e[0] == "vertex" for e in elements):
        raise PlyError(f"{path}: header has no 'vertex' element")
    return PlyHeader(
        path=path,
        format=fmt,
        version=version or "",
        elements=tuple(PlyElement(n, c, tuple(p)) for n, c, p in elements),
        comments=tuple(comments),
        data_offset=total,
    )


def read_ply_header(path: str | os.PathLike) -> PlyHeader:
    """Parse only the header (any PLY format; the body is not read). Raises PlyError."""
    path = os.fspath(path)
    with _open(path) as f:
        return _parse_header(path, f)


def _open(path: str):
    """The file opened for reading; a missing, unreadable or non-regular file is a PlyError."""
    try:
        if not os.path.isfile(path):
            raise PlyError(f"{path}: no such PLY file" if not os.path.exists(path)
                           else f"{path}: not a regular file")
        return open(path, "rb")
    except OSError as exc:
        raise PlyError(f"{path}: cannot open the PLY file ({exc.strerror or exc})") from None


# ---------------------------------------------------------------------------------------- reading
def _torch_dtype_for(np_dtype: np.dtype):
    """Numpy dtype of a file property -> the dtype it has in memory (lossless for integers)."""
    kind, size = np_dtype.kind, np_dtype.itemsize
    if kind == "f":
        return np.dtype(np.float32)
    if kind == "u" and size >= 2:
        # torch has little support for uint16/uint32, so widen to the next signed type.
        return np.dtype(np.int32 if size == 2 else np.int64)
    return np_dtype.newbyteorder("=")


def _group_extras(props: list[tuple[str, np.dtype]]) -> list[tuple[str, list[str]]]:
    """Extra properties (name, in-memory dtype), in file order -> attributes as (key, [property names]).

    A 2-D attribute is a set ``base_0..base_{k-1}`` (complete, one dtype, ``base`` itself not a
    property and not a reserved field name); anything else is one 1-D attribute per property.
    The writer checks its own output with this function, so reading and writing agree."""
    from core.gaussians import CORE_FIELDS  # light module-level import would pull torch

    names = {n for n, _ in props}
    buckets: dict[str, dict[int, tuple[str, np.dtype]]] = {}
    for name, dt in props:
        m = _INDEXED.match(name)
        if m:
            buckets.setdefault(m.group(1), {})[int(m.group(2))] = (name, dt)
    grouped: dict[str, str] = {}  # property name -> base
    for base, members in buckets.items():
        if (base in names or base in CORE_FIELDS or set(members) != set(range(len(members)))
                or len({dt for _, dt in members.values()}) != 1):
            continue
        for name, _ in members.values():
            grouped[name] = base
    out: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for name, _ in props:
        base = grouped.get(name)
        if base is None:
            out.append((name, [name]))
        elif base not in seen:
            seen.add(base)
            members = buckets[base]
            out.append((base, [members[i][0] for i in range(len(members))]))
    return out


def _columns(data: np.ndarray, names: list[str], dtype) -> np.ndarray:
    """Selected fields of a structured array -> a C-contiguous, writable [N, len(names)] array."""
    out = np.empty((data.shape[0], len(names)), dtype=dtype)
    for i, name in enumerate(names):
        out[:, i] = data[name]
    return out


def _check_body_size(path: str, header: PlyHeader, size: int) -> int:
    """Byte offset of the vertex rows; raises when the body is too short or longer than promised."""
    offset = header.data_offset
    before = True
    tail_fixed = 0
    tail_has_list = False
    for e in header.elements:
        if e.name == "vertex":
            before = False
            continue
        if before:
            if e.count and e.has_list:
                raise PlyError(f"{path}: element {e.name!r} before 'vertex' has list properties, "
                               "so the vertex data cannot be located")
            offset += e.count * e.row_bytes
        elif e.count:
            if e.has_list:
                tail_has_list = True
            else:
                tail_fixed += e.count * e.row_bytes
    v = header.vertex
    need = v.count * v.row_bytes
    have = size - offset
    if have < need:
        rows = max(have, 0) // v.row_bytes if v.row_bytes else 0
        raise PlyError(f"{path}: truncated: the header promises {v.count} vertices ({need} bytes, "
                       f"{v.row_bytes} per vertex) but only {max(have, 0)} bytes follow "
                       f"({rows} complete vertices)")
    extra = have - need - tail_fixed
    if extra < 0 and not tail_has_list:
        raise PlyError(f"{path}: truncated: the elements after 'vertex' need {tail_fixed} bytes but only "
                       f"{have - need} follow the vertex data")
    if extra > 0 and not tail_has_list:
        rows = f", about {extra // v.row_bytes} more vertices" if v.row_bytes else ""
        raise PlyError(f"{path}: the header promises {v.count} vertices ({need} bytes) but the file "
                       f"holds {extra} more bytes than its header describes{rows}; "
                       "the vertex count in the header is wrong")
    return offset


def read_ply(path: str | os.PathLike) -> "GaussianCloud":
    """Load a 3DGS PLY file into a GaussianCloud (float32 core fields, on the CPU).

    Raises PlyError naming the file and the problem (format, missing properties, size, values), and
    nothing else, whatever the file holds: the sizes the header declares are checked against the
    file's size and core.limits before anything is allocated for them."""
    path = os.fspath(path)
    with _open(path) as f:
        header = _parse_header(path, f)
        if header.format == "ascii":
            raise PlyError(f"{path}: ASCII PLY is not supported; binary little-endian is required "
                           "(re-save the file as binary_little_endian)")
        if header.format != _SUPPORTED_FORMAT:
            raise PlyError(f"{path}: big-endian PLY ({header.format}) is not supported; "
                           "binary little-endian is required")
        vertex = header.vertex
        lists = [p.name for p in vertex.properties if p.is_list]
        if lists:
            raise PlyError(f"{path}: the vertex element has list properties ({', '.join(lists)}); "
                           "3DGS splats have only scalar properties")
        if vertex.count > MAX_PLY_GAUSSIANS:
            raise PlyError(f"{path}: element 'vertex' declares {vertex.count:,} Gaussians; at most "
                           f"{MAX_PLY_GAUSSIANS:,} are loaded")
        names = [p.name for p in vertex.properties]
        missing = [n for n in _REQUIRED if n not in names]
        rest_names = [n for n in names if _F_REST.match(n)]
        if missing:
            raise PlyError(f"{path}: not a 3DGS splat file: missing vertex properties {', '.join(missing)}")
        if len(rest_names) not in _REST_TO_K:
            raise PlyError(f"{path}: unsupported number of f_rest properties {len(rest_names)} "
                           "(expected 0, 9, 24 or 45 for SH degree 0..3)")
        missing_rest = [f"f_rest_{i}" for i in range(len(rest_names)) if f"f_rest_{i}" not in rest_names]
        if missing_rest:
            raise PlyError(f"{path}: f_rest properties are not numbered 0..{len(rest_names) - 1}: "
                           f"missing {', '.join(missing_rest)}")
        not_float = [f"{p.name} ({p.type})" for p in vertex.properties
                     if p.name in _REQUIRED or p.name in rest_names if p.dtype.kind != "f"]
        if not_float:
            raise PlyError(f"{path}: 3DGS properties must be float or double, but the header declares "
                           f"{', '.join(not_float[:8])}" + (" ..." if len(not_float) > 8 else ""))
        size = os.fstat(f.fileno()).st_size
        offset = _check_body_size(path, header, size)
        n = vertex.count
        try:
            f.seek(offset)
            buf = f.read(n * vertex.row_bytes)
        except OSError as exc:
            raise PlyError(f"{path}: cannot read the vertex data ({exc.strerror or exc})") from None
        except MemoryError:
            raise PlyError(f"{path}: not enough memory to read {n:,} Gaussians") from None
        if len(buf) != n * vertex.row_bytes:  # the file shrank while it was read
            raise PlyError(f"{path}: truncated: the vertex data ends after {len(buf)} of "
                           f"{n * vertex.row_bytes} bytes")
    try:
        return _cloud_from_rows(path, vertex, buf, rest_names)
    except MemoryError:
        raise PlyError(f"{path}: not enough memory to load {n:,} Gaussians") from None


def _cloud_from_rows(path: str, vertex: PlyElement, buf: bytes, rest_names: list[str]) -> "GaussianCloud":
    """The GaussianCloud of the vertex rows ``buf`` (their size already checked)."""
    import torch

    from core.gaussians import CORE_FIELDS, GaussianCloud, GaussianCloudError

    n = vertex.count
    dtype = np.dtype([(p.name, p.dtype) for p in vertex.properties])
    data = np.frombuffer(buf, dtype=dtype, count=n)

    # All float properties (normals aside) go into one float32 matrix: a single pass converts them,
    # checks them and feeds every float field, instead of one pass per property.
    float_names = [p.name for p in vertex.properties if p.dtype.kind == "f" and p.name not in _NORMALS]
    float_index = {name: i for i, name in enumerate(float_names)}
    with np.errstate(over="ignore"):  # doubles beyond the float32 range become inf, reported below
        floats = _columns(data, float_names, np.float32)
    finite = np.isfinite(floats)
    if not finite.all():
        bad_rows = ~finite.all(axis=1)
        bad_fields = []
        for name, col in zip(float_names, (~finite).T):
            nbad = int(col.sum())
            if nbad:
                bad_fields.append(f"{name!r}: {nbad} rows (first bad row {int(np.argmax(col))})")
        raise PlyError(f"{path}: non-finite values (NaN/inf, or beyond float32) in {int(bad_rows.sum())} of "
                       f"{n} vertices: " + "; ".join(bad_fields))

    def float_columns(names: list[str]) -> np.ndarray:
        return floats[:, [float_index[nm] for nm in names]]

    k = _REST_TO_K[len(rest_names)]
    means = float_columns(["x", "y", "z"])
    quats = float_columns(["rot_0", "rot_1", "rot_2", "rot_3"])
    log_scales = float_columns(["scale_0", "scale_1", "scale_2"])
    opacities = floats[:, float_index["opacity"]].copy()
    sh = np.empty((n, k, 3), dtype=np.float32)
    sh[:, 0] = float_columns(["f_dc_0", "f_dc_1", "f_dc_2"])
    if k > 1:
        rest = float_columns([f"f_rest_{i}" for i in range(3 * (k - 1))])
        sh[:, 1:] = rest.reshape(n, 3, k - 1).transpose(0, 2, 1)

    # Everything but the 3DGS properties is kept, including look-alikes such as f_dc_3 or scale_7.
    extras = [(p.name, _torch_dtype_for(p.dtype)) for p in vertex.properties if not _is_3dgs_name(p.name)]
    extra_dtype = dict(extras)

    attributes = {}
    for key, members in _group_extras(extras):
        if key in CORE_FIELDS:
            raise PlyError(f"{path}: vertex property {key!r} has the name of a core GaussianCloud field; "
                           "rename it to load the file")
        if extra_dtype[members[0]] == np.float32:
            cols = float_columns(members)
        else:
            cols = _columns(data, members, extra_dtype[members[0]])
        attributes[key] = torch.from_numpy(cols[:, 0].copy() if len(members) == 1 and key == members[0] else cols)

    try:
        return GaussianCloud(
            means=torch.from_numpy(means),
            quats=torch.from_numpy(quats),
            log_scales=torch.from_numpy(log_scales),
            opacities=torch.from_numpy(opacities),
            sh=torch.from_numpy(sh),
            attributes=attributes,
        )
    except GaussianCloudError as e:
        raise PlyError(f"{path}: {e}") from e


# ---------------------------------------------------------------------------------------- writing
def _ply_type_for(path: str, key: str, arr: np.ndarray) -> tuple[str, np.ndarray]:
    """Attribute array -> (PLY type name, array converted to it). Integers stay integer."""
    kind = arr.dtype.kind
    if kind == "b":
        return "uchar", arr.astype(np.uint8)
    if kind == "f":
        with np.errstate(over="ignore"):
            return "float", arr.astype(np.float32)
    if kind in "iu":
        simple = {("i", 1): "char", ("u", 1): "uchar", ("i", 2): "short", ("u", 2): "ushort",
                  ("i", 4): "int", ("u", 4): "uint"}
        name = simple.get((kind, arr.dtype.itemsize))
        if name is not None:
            return name, arr
        # int64 (torch's default integer) is written as a 32-bit uint when the values are 0..2^32-1,
        # which reads back as int64 (so the default head's part and mirror indices, and a file's own
        # uint properties, round-trip exactly), else as a 32-bit int (read back as int32).
        if not arr.size or (arr.min() >= 0 and arr.max() <= np.iinfo(np.uint32).max):
            return "uint", arr.astype(np.uint32)
        info = np.iinfo(np.int32)
        if arr.min() >= info.min and arr.max() <= info.max:
            return "int", arr.astype(np.int32)
        raise PlyError(f"{path}: attribute {key!r}: values {arr.min()}..{arr.max()} do not fit the "
                       "32-bit int or uint a PLY property can hold")
    raise PlyError(f"{path}: attribute {key!r}: dtype {arr.dtype} cannot be stored in a PLY property")


def write_ply(cloud: "GaussianCloud", path: str | os.PathLike) -> None:
    """Save a GaussianCloud as a binary little-endian INRIA 3DGS PLY, atomically.

    Core fields are written as float32 in the 3DGS property order, followed by the attributes
    (1-D [N] -> ``name``, 2-D [N, k] -> ``name_0..name_{k-1}``). Raises PlyError before touching the
    file system when the cloud cannot be represented so that it reads back identically."""
    import torch

    from core.gaussians import GaussianCloudError

    path = os.fspath(path)
    try:
        cloud.validate()
    except GaussianCloudError as e:
        raise PlyError(f"{path}: cannot save an invalid cloud: {e}") from e
    n = len(cloud)
    k = cloud.sh.shape[1]

    def np32(t) -> np.ndarray:
        # Through torch, which also handles bfloat16; overflow becomes inf and is reported below.
        return t.detach().cpu().to(torch.float32).numpy()

    columns: list[tuple[str, str, np.ndarray]] = []  # (property name, PLY type, [N] array)
    means = np32(cloud.means)
    for i, c in enumerate("xyz"):
        columns.append((c, "float", means[:, i]))
    zeros = np.zeros(n, dtype=np.float32)
    for c in _NORMALS:
        columns.append((c, "float", zeros))
    sh = np32(cloud.sh)
    for c in range(3):
        columns.append((f"f_dc_{c}", "float", sh[:, 0, c]))
    for c in range(3):  # channel-major, as 3DGS stores it
        for j in range(1, k):
            columns.append((f"f_rest_{c * (k - 1) + j - 1}", "float", sh[:, j, c]))
    columns.append(("opacity", "float", np32(cloud.opacities)))
    log_scales = np32(cloud.log_scales)
    for i in range(3):
        columns.append((f"scale_{i}", "float", log_scales[:, i]))
    quats = np32(cloud.quats)
    for i in range(4):
        columns.append((f"rot_{i}", "float", quats[:, i]))

    n_core = len(columns)
    want: list[tuple[str, list[str]]] = []
    for key, value in cloud.attributes.items():
        value = value.detach().cpu()
        arr = np32(value) if value.is_floating_point() else value.numpy()
        if arr.ndim not in (1, 2) or (arr.ndim == 2 and arr.shape[1] == 0):
            raise PlyError(f"{path}: attribute {key!r} has shape {list(arr.shape)}; only [N] and [N, k>0] "
                           "attributes can be stored as PLY properties")
        if not _TOKEN.match(key):
            raise PlyError(f"{path}: attribute {key!r}: a PLY property name must be printable ASCII "
                           "without spaces")
        ptype, arr = _ply_type_for(path, key, arr)
        names = [key] if arr.ndim == 1 else [f"{key}_{i}" for i in range(arr.shape[1])]
        clash = [nm for nm in names if _is_3dgs_name(nm)]
        if clash:
            raise PlyError(f"{path}: attribute {key!r} would be written as {', '.join(clash)}, "
                           "which are 3DGS property names")
        for i, nm in enumerate(names):
            columns.append((nm, ptype, arr if arr.ndim == 1 else arr[:, i]))
        want.append((key, names))

    # The reader regroups extras by name; refuse names it would group differently (e.g. a 1-D
    # attribute 'w_0', or 'a' [N, 2] next to 'a_0'), since they would not read back as saved.
    extra_props = [(nm, _torch_dtype_for(np.dtype(_PLY_TYPES[pt]))) for nm, pt, _ in columns[n_core:]]
    if len({nm for nm, _ in extra_props}) != len(extra_props) or _group_extras(extra_props) != want:
        raise PlyError(f"{path}: attribute names {[key for key, _ in want]} would not read back as saved "
                       "(a 1-D attribute named like 'name_0', or names that clash once expanded)")

    # A float64 cloud is valid when finite, but may not fit float32; such a file would not load.
    overflow = [nm for nm, pt, col in columns if pt == "float" and not np.isfinite(col).all()]
    if overflow:
        raise PlyError(f"{path}: values beyond the float32 range in {', '.join(overflow)}")

    dtype = np.dtype([(nm, _PLY_TYPES[pt]) for nm, pt, _ in columns])
    data = np.empty(n, dtype=dtype)
    for nm, _, col in columns:
        data[nm] = col
    lines = ["ply", f"format {_SUPPORTED_FORMAT} 1.0", f"element vertex {n}"]
    lines += [f"property {pt} {nm}" for nm, pt, _ in columns]
    lines.append("end_header")
    payload = ("\n".join(lines) + "\n").encode("ascii") + data.tobytes()

    atomic_write_bytes(path, payload)
