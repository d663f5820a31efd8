"""OpenGL 3.3 splatting backend (moderngl): instanced ellipse quads, sorted back to front.

Runs headless through EGL (Mesa llvmpipe on CPU machines) or inside a Qt widget's GL context:

    renderer = GLRenderer()                         # own standalone EGL context
    result = renderer.render(cloud, camera)         # RenderResult, the Renderer API

    # inside QOpenGLWidget (initializeGL / paintGL):
    renderer = GLRenderer(moderngl.create_context())
    splats = renderer.prepare(cloud)                 # CPU-side packing, once per cloud
    splats.update(means=new_means)                   # per frame: only what moved
    renderer.draw(splats, camera, ctx.detect_framebuffer(), width, height, background)

The maths follows core.render.base: SH colours come from core.render.common.eval_sh on the CPU,
the EWA projection (1.3x FOV clamp, +0.3 px^2 blur, conic) runs in a vertex shader exactly as
core.render.common.project_ewa does it, and the fragment shader applies the 3-sigma / 1/255 cut.

Per frame: the CPU sorts the Gaussians back to front by camera depth (numpy) and uploads their rows
in that order; pass 1 projects each Gaussian once (points, transform feedback); pass 2 draws one
instanced quad per Gaussian along its ellipse's eigen-axes, blended ONE, ONE_MINUS_SRC_ALPHA into
an RGBA16F colour target and an RG32F (depth * alpha, alpha) target.
"""
from __future__ import annotations

import contextlib

import math
from typing import TYPE_CHECKING, Sequence, Union

import numpy as np

from core.render.base import (
    ALPHA_MAX,
    ALPHA_MIN,
    BLUR_EPS2D,
    FOV_CLAMP,
    SIGMA_CUTOFF,
    RenderError,
    Renderer,
    RenderResult,
)

if TYPE_CHECKING:
    import moderngl
    import torch

    from core.camera import Camera
    from core.gaussians import GaussianCloud

#: Floats per Gaussian in the vertex buffer: mean 3, quaternion (w, x, y, z) 4, scales (standard
#: deviations) 3, rgb 3, opacity 1, the squared Mahalanobis reach 1, padding 1 (64-byte rows).
STRIDE = 16
_MEAN, _QUAT, _SCALE, _RGB, _OPA, _REACH = slice(0, 3), slice(3, 7), slice(7, 10), slice(10, 13), 13, 14
#: The colour columns of ``GLSplats.packed`` [N, STRIDE] (rgb in 0..1, rewritten per view when the
#: cloud has view-dependent colour): callers that tint the splats (overlays) write here.
RGB_COLUMNS = _RGB
#: Rows per SH evaluation chunk: keeps each torch op below its parallel grain size, so it runs on
#: the calling thread (torch's thread pool fighting llvmpipe's for two cores costs 10x).
_SH_CHUNK = 8192

#: A splat is back-facing (culled while playing) when the cosine between its outward normal and
#: the direction to the camera is below minus this: splats seen nearly edge-on on the silhouette stay.
BACK_FACE_COS = 0.1

#: Floats per projected Gaussian written by the projection pass (transform feedback): centre 2,
#: scaled eigen-axes 2 + 2, conic 3, rgb 3, opacity 1 (0 = culled), depth 1.
PROJECTED_STRIDE = 14

# Pass 1, one invocation per Gaussian (points, rasteriser off, results captured by transform
# feedback): the EWA projection of core.render.common.project_ewa. Running it per instance instead
# of per quad corner does the maths once rather than four times.
_PROJECT_SHADER = f"""
#version 330 core
in vec3 in_mean;
in vec4 in_quat;            // (w, x, y, z), not necessarily normalised
in vec3 in_scale;           // standard deviations along the rotated axes
in vec3 in_rgb;
in float in_opacity;
in float in_reach2;         // d^2 out to which alpha can pass both cuts (> 0)

uniform mat3 u_rot;         // world-to-camera rotation
uniform vec3 u_trans;
uniform vec4 u_intr;        // fx fy cx cy
uniform vec2 u_lim;         // FOV clamp limits on x/z, y/z
uniform vec2 u_near_far;

out vec2 p_centre;          // projected mean, pixels
out vec2 p_axis1;           // major eigen-axis scaled to the quad's half extent, pixels
out vec2 p_axis2;
out vec3 p_conic;           // (a, b, c) of the inverse 2-D covariance
out vec3 p_rgb;
out vec2 p_opacity_depth;   // opacity (0 when culled), camera z

void main() {{
    p_rgb = in_rgb;
    p_centre = vec2(0.0);
    p_axis1 = vec2(0.0);
    p_axis2 = vec2(0.0);
    p_conic = vec3(0.0);
    vec3 p = u_rot * in_mean + u_trans;
    float z = p.z;
    p_opacity_depth = vec2(0.0, z);
    if (z <= u_near_far.x || z >= u_near_far.y) return;
    float fx = u_intr.x, fy = u_intr.y;
    float tx = clamp(p.x / z, -u_lim.x, u_lim.x) * z;
    float ty = clamp(p.y / z, -u_lim.y, u_lim.y) * z;
    // GLSL matrices are column-major: J is 2x3 (rows: image x, y), stored as mat3x2.
    mat3x2 jac = mat3x2(fx / z, 0.0, 0.0, fy / z, -fx * tx / (z * z), -fy * ty / (z * z));
    // Sigma = R S S^T R^T (core.gaussians.covariances); R from the quaternion, built by columns.
    vec4 q = normalize(in_quat);
    float w = q.x, x = q.y, y = q.z, zq = q.w;
    mat3 rot = mat3(1.0 - 2.0 * (y * y + zq * zq), 2.0 * (x * y + w * zq), 2.0 * (x * zq - w * y),
                    2.0 * (x * y - w * zq), 1.0 - 2.0 * (x * x + zq * zq), 2.0 * (y * zq + w * x),
                    2.0 * (x * zq + w * y), 2.0 * (y * zq - w * x), 1.0 - 2.0 * (x * x + y * y));
    mat3 m = rot * mat3(in_scale.x, 0.0, 0.0, 0.0, in_scale.y, 0.0, 0.0, 0.0, in_scale.z);
    mat3 sigma = m * transpose(m);
    mat3x2 t = jac * u_rot;
    mat2 cov2 = t * sigma * transpose(t);
    float a = cov2[0][0] + {BLUR_EPS2D};
    float b = cov2[1][0];
    float c = cov2[1][1] + {BLUR_EPS2D};
    float det = a * c - b * b;
    if (det <= 1e-12) return;
    p_conic = vec3(c, -b, a) / det;
    float mid = 0.5 * (a + c);
    float disc = sqrt(max(mid * mid - det, 0.0));
    float lam1 = mid + disc;
    float lam2 = max(mid - disc, 0.0);
    // Major eigenvector; (b, lam1 - a) degenerates for a diagonal covariance, then pick the axis.
    vec2 axis1 = abs(b) > 1e-6 * mid ? normalize(vec2(b, lam1 - a)) : (a >= c ? vec2(1.0, 0.0) : vec2(0.0, 1.0));
    // The quad circumscribes the ellipse d^2 = reach^2, so every pixel centre that can pass the
    // cuts is inside it.
    p_axis1 = sqrt(in_reach2 * lam1) * axis1;
    p_axis2 = sqrt(in_reach2 * lam2) * vec2(-axis1.y, axis1.x);
    p_centre = vec2(fx * p.x / z + u_intr.z, fy * p.y / z + u_intr.w);
    p_opacity_depth.x = in_opacity;
}}
"""
_PROJECT_VARYINGS = ["p_centre", "p_axis1", "p_axis2", "p_conic", "p_rgb", "p_opacity_depth"]

# Pass 2: one instanced quad per projected Gaussian, spanning the ellipse's eigen-axes.
_VERTEX_SHADER = """
#version 330 core
in vec2 in_corner;          // quad corner in (-1, -1) .. (1, 1)
in vec2 in_centre;
in vec2 in_axis1;
in vec2 in_axis2;
in vec3 in_conic;
in vec3 in_rgb;
in vec2 in_opacity_depth;

uniform vec2 u_size;        // width height in pixels
uniform float u_y_sign;     // +1: image row 0 at window y 0 (read back), -1: row 0 on top (display)

flat out vec3 v_conic;
flat out vec3 v_rgb;
flat out float v_opacity;
flat out float v_depth;
out vec2 v_offset;          // pixel offset from the projected mean

void main() {
    if (in_opacity_depth.x <= 0.0) {
        gl_Position = vec4(0.0, 0.0, 2.0, 1.0);  // outside the clip volume: dropped
        return;
    }
    vec2 offset = in_corner.x * in_axis1 + in_corner.y * in_axis2;
    vec2 ndc = 2.0 * (in_centre + offset) / u_size - 1.0;
    gl_Position = vec4(ndc.x, u_y_sign * ndc.y, 0.0, 1.0);
    v_offset = offset;
    v_conic = in_conic;
    v_rgb = in_rgb;
    v_opacity = in_opacity_depth.x;
    v_depth = in_opacity_depth.y;
}
"""

_FRAGMENT_SHADER = f"""
#version 330 core
flat in vec3 v_conic;
flat in vec3 v_rgb;
flat in float v_opacity;
flat in float v_depth;
in vec2 v_offset;

layout(location = 0) out vec4 out_color;   // premultiplied colour, alpha
layout(location = 1) out vec4 out_depth;   // premultiplied depth, alpha (blended the same way)

void main() {{
    vec2 d = v_offset;
    float d2 = v_conic.x * d.x * d.x + 2.0 * v_conic.y * d.x * d.y + v_conic.z * d.y * d.y;
    if (d2 > {SIGMA_CUTOFF * SIGMA_CUTOFF}) discard;
    float alpha = min({ALPHA_MAX}, v_opacity * exp(-0.5 * d2));
    if (alpha < {ALPHA_MIN}) discard;
    out_color = vec4(v_rgb * alpha, alpha);
    out_depth = vec4(v_depth * alpha, alpha, 0.0, alpha);
}}
"""


class GLSplatsError(ValueError):
    """GLSplats.update was given data of the wrong shape or with non-finite values."""


class GLSplats:
    """A cloud packed for the GL renderer. N is fixed for the life of the object; per frame, change
    what moved with update() (a copy into the packed rows, no maths) instead of re-preparing.

    Attributes: packed [N, 16] float32 rows (mean 3, quaternion 4, scales 3, rgb 3, opacity,
    squared reach, pad), sh [N, K, 3] torch float32 (for the per-view colour when K > 1).

    normals: optional outward normals [N, 3] in each Gaussian's own frame (core.render.lod:
    zero rows are never culled); with them, sorted_rows(cull_back=True) drops the splats that face
    away from the camera. source_index: optional [N] rows of a larger cloud these splats stand for
    (a level of detail, core.render.lod.SplatLOD.indices), so overlays can pick their colours.
    """

    def __init__(self, cloud: "GaussianCloud", normals: np.ndarray | None = None,
                 source_index: np.ndarray | None = None):
        import torch

        from core.render.common import SH_C0

        self.num = len(cloud)
        self.normals = None
        if normals is not None:
            normals = np.ascontiguousarray(normals, dtype=np.float32)
            if normals.shape != (self.num, 3):
                raise GLSplatsError(f"GLSplats: normals expected shape {[self.num, 3]}, got {list(normals.shape)}")
            self.normals = normals
        self.source_index = None if source_index is None else np.asarray(source_index, dtype=np.int64)
        if self.source_index is not None and self.source_index.shape != (self.num,):
            raise GLSplatsError(f"GLSplats: source_index expected shape {[self.num]}, got {list(self.source_index.shape)}")
        self.culled = 0
        self.packed = np.zeros((self.num, STRIDE), dtype=np.float32)
        with torch.no_grad():
            self.sh = cloud.sh.detach().to("cpu", torch.float32).contiguous()
            if self.sh.shape[1] == 1:  # view-independent: colour once
                self.packed[:, _RGB] = (SH_C0 * self.sh[:, 0] + 0.5).clamp_min(0.0).numpy()
        self.update(means=cloud.means, quats=cloud.quats, log_scales=cloud.log_scales, opacities=cloud.opacities)

    @property
    def sh_degree(self) -> int:
        return int(round(math.sqrt(self.sh.shape[1]))) - 1

    @property
    def means(self) -> np.ndarray:
        """World-space centres [N, 3] float32 (a view of the packed rows)."""
        return self.packed[:, _MEAN]

    def __len__(self) -> int:
        return self.num

    def update(self, means=None, quats=None, log_scales=None, opacities=None) -> None:
        """Replace per-Gaussian geometry: means [N, 3], quats [N, 4] (w, x, y, z), log_scales [N, 3],
        opacities [N] (logits, as in GaussianCloud). Torch tensors or numpy arrays. Raises
        GLSplatsError on a wrong shape or bad values (nothing is changed then)."""

        def as_np(x, cols, name):
            if hasattr(x, "detach"):  # torch, possibly on another device or with autograd
                x = x.detach().to("cpu").numpy()
            a = np.asarray(x, dtype=np.float32)
            shape = (self.num, cols) if cols else (self.num,)
            if a.shape != shape:
                raise GLSplatsError(f"GLSplats.update: {name} expected shape {list(shape)}, got {list(a.shape)}")
            bad = ~np.isfinite(a.reshape(self.num, max(cols, 1))).all(axis=1)
            if bad.any():
                raise GLSplatsError(
                    f"GLSplats.update: {name} has {int(bad.sum())} of {self.num} rows that are not finite "
                    f"(first bad row {int(np.flatnonzero(bad)[0])})"
                )
            return a

        # Check everything before changing anything.
        means = None if means is None else as_np(means, 3, "means")
        quats = None if quats is None else as_np(quats, 4, "quats")
        log_scales = None if log_scales is None else as_np(log_scales, 3, "log_scales")
        opacities = None if opacities is None else as_np(opacities, 0, "opacities")
        if quats is not None:
            zero = np.einsum("ij,ij->i", quats, quats) < 1e-24
            if zero.any():
                raise GLSplatsError(f"GLSplats.update: quats has {int(zero.sum())} zero quaternions")
        if means is not None:
            self.packed[:, _MEAN] = means
        if quats is not None:
            self.packed[:, _QUAT] = quats
        if log_scales is not None:
            self.packed[:, _SCALE] = np.exp(log_scales)
        if opacities is not None:
            with np.errstate(over="ignore"):
                opacity = 1.0 / (1.0 + np.exp(-opacities))
            self.packed[:, _OPA] = opacity
            # alpha = opacity * exp(-d^2/2) stays >= 1/255 only out to d^2 = 2 ln(255 opacity): a
            # tighter quad than 3 sigma for faint splats; <= 0 means the splat can never show.
            with np.errstate(divide="ignore"):
                reach = 2.0 * np.log(np.maximum(opacity, 1e-30) / ALPHA_MIN)
            self.packed[:, _REACH] = np.minimum(reach, SIGMA_CUTOFF * SIGMA_CUTOFF)

    def colors(self, camera: "Camera") -> None:
        """Write the view-dependent RGB for this camera into the packed rows (SH degree >= 1),
        with core.render.common.eval_sh as sh_colors does."""
        if self.sh.shape[1] == 1 or self.num == 0:
            return
        import torch

        from core.render.common import eval_sh

        dirs = self.packed[:, _MEAN] - camera.position.astype(np.float32)
        dirs /= np.maximum(np.linalg.norm(dirs, axis=1, keepdims=True), 1e-12)
        dirs_t = torch.from_numpy(dirs)
        with torch.no_grad():
            for i in range(0, self.num, _SH_CHUNK):
                rgb = eval_sh(self.sh[i:i + _SH_CHUNK], dirs_t[i:i + _SH_CHUNK]) + 0.5
                self.packed[i:i + _SH_CHUNK, _RGB] = rgb.clamp_min(0.0).numpy()

    def back_facing(self, camera: "Camera") -> np.ndarray:
        """[N] bool: the splats whose outward normal faces away from the camera (all False
        without normals). A splat seen edge-on is kept (the threshold leans to keeping)."""
        if self.normals is None or self.num == 0:
            return np.zeros(self.num, bool)
        q = self.packed[:, _QUAT]
        q = q * (1.0 / np.sqrt(np.einsum("ij,ij->i", q, q)))[:, None]
        w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
        v = self.normals
        vx, vy, vz = v[:, 0], v[:, 1], v[:, 2]
        # R(q) v, written out (the local normal rotated into the world).
        xx, yy, zz, xy, xz, yz, wx, wy, wz = x * x, y * y, z * z, x * y, x * z, y * z, w * x, w * y, w * z
        nx = (1 - 2 * (yy + zz)) * vx + 2 * (xy - wz) * vy + 2 * (xz + wy) * vz
        ny = 2 * (xy + wz) * vx + (1 - 2 * (xx + zz)) * vy + 2 * (yz - wx) * vz
        nz = 2 * (xz - wy) * vx + 2 * (yz + wx) * vy + (1 - 2 * (xx + yy)) * vz
        to_cam = camera.position.astype(np.float32) - self.packed[:, _MEAN]
        dot = nx * to_cam[:, 0] + ny * to_cam[:, 1] + nz * to_cam[:, 2]
        dist = np.sqrt(np.einsum("ij,ij->i", to_cam, to_cam))
        return dot < -BACK_FACE_COS * dist

    def sorted_rows(self, camera: "Camera", out: np.ndarray | None = None, cull_back: bool = False) -> np.ndarray:
        """Rows inside near/far, farthest first [M, STRIDE] (into out[:M] when given), with this
        view's colours. cull_back: also drop the back-facing splats (needs normals); the number
        dropped is left in ``culled``.

        Ties keep the lower index in front, as a stable front-to-back sort does."""
        self.colors(camera)
        rot = camera.rotation.astype(np.float32)
        z = self.packed[:, _MEAN] @ rot[2] + np.float32(camera.viewmat[2, 3])
        keep = (z > camera.near) & (z < camera.far) & (self.packed[:, _REACH] > 0)
        self.culled = 0
        if cull_back and self.normals is not None:
            back = self.back_facing(camera) & keep
            self.culled = int(back.sum())
            keep &= ~back
        idx = np.flatnonzero(keep)
        order = idx[np.argsort(z[idx], kind="stable")[::-1]]
        m = order.shape[0]
        if out is None:
            return self.packed[order]
        np.take(self.packed, order, axis=0, out=out[:m])
        return out[:m]


CloudLike = Union["GaussianCloud", GLSplats]

_GL_FINISH: list = []


def _gl_finish_without_gil():
    """glFinish through ctypes, which lets go of the GIL while it waits (moderngl never does): a
    software GL rasterises during the wait, and other Python threads (the audio callback, the
    deform worker) run meanwhile. None when no GL library can be loaded (then ctx.finish())."""
    if not _GL_FINISH:
        import ctypes
        import ctypes.util

        fn = None
        for name in (ctypes.util.find_library("OpenGL"), ctypes.util.find_library("GL")):
            if not name:
                continue
            try:
                fn = ctypes.CDLL(name).glFinish
                fn.restype = None
                fn.argtypes = []
                break
            except (OSError, AttributeError):
                fn = None
        _GL_FINISH.append(fn)
    return _GL_FINISH[0]


class GLRenderer(Renderer):
    """moderngl renderer. ctx: an existing moderngl context (e.g. moderngl.create_context() inside
    a QOpenGLWidget), or None for a standalone headless EGL context owned by the renderer.

    float_bits: 16 (RGBA16F colour target, the default) or 32 for the offscreen colour target."""

    name = "gl"

    def __init__(self, ctx: "moderngl.Context | None" = None, float_bits: int = 16):
        import moderngl

        if float_bits not in (16, 32):
            raise ValueError(f"GLRenderer: float_bits must be 16 or 32, got {float_bits}")
        self._own_ctx = ctx is None
        self._bind_depth = 0
        if ctx is None:
            try:
                ctx = moderngl.create_standalone_context(backend="egl")
            except Exception as exc:  # moderngl raises plain Exception for missing EGL/GL libraries
                raise RenderError(f"GLRenderer: cannot create a headless EGL OpenGL context: {exc}") from exc
        if ctx.version_code < 330:
            raise RenderError(f"GLRenderer: OpenGL 3.3 needed, the context offers {ctx.version_code}")
        self.ctx = ctx
        self._dtype = "f2" if float_bits == 16 else "f4"
        self.project_program = ctx.program(vertex_shader=_PROJECT_SHADER, varyings=_PROJECT_VARYINGS)
        self.program = ctx.program(vertex_shader=_VERTEX_SHADER, fragment_shader=_FRAGMENT_SHADER)
        corners = np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype=np.float32)
        self._corner_buf = ctx.buffer(corners.tobytes())
        self._capacity = 0
        self._instance_buf = None
        self._projected_buf = None
        self._project_vao = None
        self._vao = None
        self._staging = np.zeros((0, STRIDE), dtype=np.float32)
        self._fbo = None
        self._fbo_size = (0, 0)
        self._ensure_capacity(1024)
        if self._own_ctx:
            # A headless context is made current on creation and would stay current on this
            # thread; Qt's own GL contexts in the same process then fail to become current (seen
            # as null QOpenGLWidget grabs). Release it now and bind it only around our own GL work.
            ctx.__exit__(None, None, None)

    @contextlib.contextmanager
    def bound(self):
        """Bind the renderer's own headless context for a block of GL work, restoring whatever was
        current before; a context handed in by the caller (a Qt widget's) is left alone. Callers
        that use renderer.ctx directly (their own textures, reads) wrap that work in
        `with renderer.bound():`. Only the outermost block binds: entering moderngl's context
        again inside itself corrupts its state."""
        if not self._own_ctx or self._bind_depth:
            self._bind_depth += 1
            try:
                yield
            finally:
                self._bind_depth -= 1
            return
        self._bind_depth += 1
        try:
            with self.ctx:
                yield
        finally:
            self._bind_depth -= 1

    def finish(self) -> None:
        """Wait until the GL work issued so far is done, without holding the GIL (see
        _gl_finish_without_gil), so a read-back after it does not block other Python threads."""
        if self.ctx is None:
            return
        with self.bound():
            fn = _gl_finish_without_gil()
            if fn is not None:
                fn()
            else:
                self.ctx.finish()

    # ------------------------------------------------------------------ resources
    def _ensure_capacity(self, n: int) -> None:
        if n <= self._capacity:
            return
        cap = max(n, int(self._capacity * 1.5), 1024)
        nbytes = cap * STRIDE * 4
        projected_bytes = cap * PROJECTED_STRIDE * 4
        if self._instance_buf is None:
            self._instance_buf = self.ctx.buffer(reserve=nbytes, dynamic=True)
            self._projected_buf = self.ctx.buffer(reserve=projected_bytes, dynamic=True)
            self._project_vao = self.ctx.vertex_array(
                self.project_program,
                [(self._instance_buf, "3f 4f 3f 3f 1f 1f 4x",
                  "in_mean", "in_quat", "in_scale", "in_rgb", "in_opacity", "in_reach2")],
            )
            self._vao = self.ctx.vertex_array(
                self.program,
                [
                    (self._corner_buf, "2f", "in_corner"),
                    (self._projected_buf, "2f 2f 2f 3f 3f 2f/i",
                     "in_centre", "in_axis1", "in_axis2", "in_conic", "in_rgb", "in_opacity_depth"),
                ],
            )
        else:
            # Same buffer objects (the vertex arrays stay valid), new storage.
            self._instance_buf.orphan(nbytes)
            self._projected_buf.orphan(projected_bytes)
        self._staging = np.zeros((cap, STRIDE), dtype=np.float32)
        self._capacity = cap

    def _offscreen(self, width: int, height: int):
        if self._fbo is None or self._fbo_size != (width, height):
            self._release_fbo()
            self._color_tex = self.ctx.texture((width, height), 4, dtype=self._dtype)
            # RG32F: premultiplied depth and a full-precision alpha, blended like the colour.
            self._depth_tex = self.ctx.texture((width, height), 2, dtype="f4")
            self._fbo = self.ctx.framebuffer(color_attachments=[self._color_tex, self._depth_tex])
            self._fbo_size = (width, height)
        return self._fbo

    def _release_fbo(self) -> None:
        if self._fbo is not None:
            self._fbo.release()
            self._color_tex.release()
            self._depth_tex.release()
            self._fbo = None

    def close(self) -> None:
        if self.ctx is None:
            return
        with self.bound():
            self._release_fbo()
            for obj in (self._vao, self._project_vao, self._instance_buf, self._projected_buf, self._corner_buf,
                        self.program, self.project_program):
                if obj is not None:
                    obj.release()
        if self._own_ctx:
            self.ctx.release()
        self.ctx = None

    # ------------------------------------------------------------------ drawing
    def prepare(self, cloud: CloudLike) -> GLSplats:
        """Pack a cloud for drawing (cheap to update per frame with GLSplats.update)."""
        return cloud if isinstance(cloud, GLSplats) else GLSplats(cloud)

    def draw(
        self,
        cloud: CloudLike,
        camera: "Camera",
        fbo: "moderngl.Framebuffer",
        width: int,
        height: int,
        background: Sequence[float] | None = (0.0, 0.0, 0.0),
        *,
        flip_y: bool = True,
        clear_alpha: float = 1.0,
        cull_back: bool = False,
    ) -> int:
        """Draw into a framebuffer (a widget's default one, or any other) of size width x height.

        flip_y=True puts image row 0 at the top of the window (display); False puts it at GL row 0
        (what a read-back wants). background None leaves the framebuffer uncleared. cull_back:
        skip the splats facing away from the camera (GLSplats with normals; playback's fast path).
        Returns the number of Gaussians drawn (inside near/far, not culled)."""
        if self.ctx is None:
            raise RenderError("GLRenderer: used after close()")
        if camera.width != width or camera.height != height:
            camera = camera.resized(width, height)
        splats = self.prepare(cloud)
        with self.bound():
            return self._draw_bound(splats, camera, fbo, width, height, background, flip_y, clear_alpha, cull_back)

    def _draw_bound(self, splats, camera, fbo, width, height, background, flip_y, clear_alpha, cull_back=False) -> int:
        ctx = self.ctx
        fbo.use()
        ctx.viewport = (0, 0, width, height)
        if background is not None:
            bg = [float(v) for v in background]
            if len(bg) != 3:
                raise ValueError(f"background: expected 3 values (RGB), got {len(bg)}")
            fbo.clear(bg[0], bg[1], bg[2], clear_alpha)
        n = 0
        if len(splats):
            self._ensure_capacity(len(splats))
            rows = splats.sorted_rows(camera, out=self._staging, cull_back=cull_back)
            n = rows.shape[0]
        if n == 0:
            return 0
        self._instance_buf.write(rows)
        proj = self.project_program
        proj["u_rot"].write(np.ascontiguousarray(camera.rotation.T, dtype=np.float32))  # column-major
        proj["u_trans"].value = tuple(float(v) for v in camera.viewmat[:3, 3])
        proj["u_intr"].value = (camera.fx, camera.fy, camera.cx, camera.cy)
        proj["u_lim"].value = (FOV_CLAMP * 0.5 * width / camera.fx, FOV_CLAMP * 0.5 * height / camera.fy)
        proj["u_near_far"].value = (camera.near, camera.far)
        self._project_vao.transform(self._projected_buf, mode=ctx.POINTS, vertices=n)
        prog = self.program
        prog["u_size"].value = (float(width), float(height))
        prog["u_y_sign"].value = -1.0 if flip_y else 1.0
        ctx.enable_only(ctx.BLEND)
        ctx.blend_equation = ctx.FUNC_ADD
        # Back to front "over" with premultiplied colour: dst = src + (1 - src_alpha) * dst.
        ctx.blend_func = ctx.ONE, ctx.ONE_MINUS_SRC_ALPHA
        self._vao.render(ctx.TRIANGLE_STRIP, vertices=4, instances=n)
        return n

    def render(
        self,
        cloud: CloudLike,
        camera: "Camera",
        width: int | None = None,
        height: int | None = None,
        background: Sequence[float] = (0.0, 0.0, 0.0),
        cull_back: bool = False,
    ) -> RenderResult:
        """Render offscreen and read back colour [H, W, 3], alpha [H, W, 1], depth [H, W, 1]
        (torch float32, CPU). cloud: a GaussianCloud or a GLSplats from prepare().

        The offscreen framebuffer stays bound afterwards; on a widget's shared context Qt binds
        the widget's own framebuffer again before paintGL, and draw() binds the one it is given."""
        import torch

        from core.render.common import background_tensor

        background_tensor(background, "cpu")  # validates
        w = int(width if width is not None else camera.width)
        h = int(height if height is not None else camera.height)
        if w <= 0 or h <= 0:
            raise ValueError(f"GLRenderer.render: size must be positive, got {w}x{h}")
        with self.bound():
            fbo = self._offscreen(w, h)
            fbo.clear(0.0, 0.0, 0.0, 0.0)
            self.draw(cloud, camera, fbo, w, h, background=None, flip_y=False, cull_back=cull_back)
            self.finish()
            rgba = np.frombuffer(fbo.read(components=4, attachment=0, dtype=self._dtype), dtype=self._dtype)
            za = np.frombuffer(fbo.read(components=2, attachment=1, dtype="f4"), dtype=np.float32)
        rgba = rgba.reshape(h, w, 4).astype(np.float32)
        za = za.reshape(h, w, 2)
        # Alpha from the fp32 attachment: it went through the same blend as the colour.
        alpha_np = np.clip(za[:, :, 1:2], 0.0, 1.0)
        bg = np.asarray(background, dtype=np.float32)
        color_np = rgba[:, :, :3] + (1.0 - alpha_np) * bg
        with np.errstate(divide="ignore", invalid="ignore"):
            depth_np = np.where(alpha_np > 0, za[:, :, 0:1] / alpha_np, 0.0).astype(np.float32)
        color = torch.from_numpy(color_np)
        alpha = torch.from_numpy(np.ascontiguousarray(alpha_np))
        depth = torch.from_numpy(depth_np)
        return RenderResult(color=color, alpha=alpha, depth=depth)
