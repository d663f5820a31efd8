"""GL backend speed: ms per frame at several cloud sizes and resolutions.

Each frame orbits the camera a little, so the depth sort, the SH colours (when degree > 0) and the
instance upload are redone every frame, as in the viewport. Two timings:
    draw    sort + upload + rasterise into an RGBA8 framebuffer (ctx.finish()): the viewport's cost
    render  the Renderer API: float colour + depth targets and the read-back into torch tensors
Each as the median wall time and the median process CPU time (all threads) per frame.

    python -m bench gl [--sizes 20000,50000,100000] [--frames 7] [--sh 0] [--float-bits 16]
"""
from __future__ import annotations

import argparse
import statistics
import time


def head_like_cloud(n: int, sh_degree: int = 0, seed: int = 0):
    """A head-sized ellipsoidal shell of n flat Gaussians lying in the surface. Splat size shrinks
    as n grows (each covers about its share of the surface), as in trained heads, so the overdraw
    stays roughly constant."""
    import math

    import torch

    from core.gaussians import GaussianCloud, rgb_to_sh_dc, rotmat_to_quat

    g = torch.Generator().manual_seed(seed)
    d = torch.randn(n, 3, generator=g)
    d = d / d.norm(dim=1, keepdim=True)
    axes = torch.tensor([0.09, 0.12, 0.10])
    means = d * axes * (0.97 + 0.03 * torch.rand(n, 1, generator=g))
    normal = d / axes**2
    normal = normal / normal.norm(dim=1, keepdim=True)
    tangent = torch.linalg.cross(normal, torch.randn(n, 3, generator=g))
    tangent = tangent / tangent.norm(dim=1, keepdim=True)
    bitangent = torch.linalg.cross(normal, tangent)
    quats = rotmat_to_quat(torch.stack([tangent, bitangent, normal], dim=2))
    area = 4 * math.pi * float(axes.prod()) ** (2 / 3)  # about the ellipsoid's surface area
    sigma = 0.6 * math.sqrt(area / n)
    scales = sigma * (0.6 + 0.8 * torch.rand(n, 3, generator=g))
    scales[:, 2] *= 0.1
    opacities = torch.logit(0.3 + 0.65 * torch.rand(n, generator=g))
    sh = 0.1 * torch.randn(n, (sh_degree + 1) ** 2, 3, generator=g)
    sh[:, 0] = rgb_to_sh_dc(0.3 + 0.5 * torch.rand(n, 3, generator=g))
    return GaussianCloud(means, quats, torch.log(scales), opacities, sh)


def time_frames(fn, frames: int, warmup: int = 2) -> tuple[float, float]:
    """Median wall ms and median process CPU ms (all threads, llvmpipe's included) per frame.
    CPU time is the steadier figure on a machine shared with other work."""
    for i in range(warmup):
        fn(i)
    wall, cpu = [], []
    for i in range(frames):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(warmup + i)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall) * 1000.0, statistics.median(cpu) * 1000.0


def main(argv: list[str] | None = None) -> int:
    from core.camera import OrbitCamera
    from core.render.gl import GLRenderer

    parser = argparse.ArgumentParser(prog="python -m bench gl")
    parser.add_argument("--sizes", default="20000,50000,100000")
    parser.add_argument("--resolutions", default="512x512,1280x720")
    parser.add_argument("--frames", type=int, default=7)
    parser.add_argument("--sh", type=int, default=0, help="SH degree of the test clouds")
    parser.add_argument("--float-bits", type=int, default=16, choices=(16, 32))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    resolutions = [tuple(int(v) for v in r.split("x")) for r in args.resolutions.split(",")]

    renderer = GLRenderer(float_bits=args.float_bits)
    binding = renderer.bound()  # the whole benchmark works on the renderer's own context
    binding.__enter__()
    info = renderer.ctx.info
    print(f"GL: {info.get('GL_RENDERER')} ({info.get('GL_VERSION')}), SH degree {args.sh}, "
          f"RGBA{args.float_bits}F, median of {args.frames} frames after warm-up\n")
    print("| Gaussians | resolution | draw ms | draw CPU ms | render ms | render CPU ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        splats = renderer.prepare(head_like_cloud(n, args.sh))
        for w, h in resolutions:
            orbit = OrbitCamera(distance=0.55)
            fbo = renderer.ctx.simple_framebuffer((w, h), components=4)

            def draw(i, orbit=orbit, fbo=fbo, w=w, h=h):
                orbit.yaw = -20.0 + 5.0 * i
                renderer.draw(splats, orbit.camera(w, h), fbo, w, h, (0.0, 0.0, 0.0))
                renderer.ctx.finish()

            def render(i, orbit=orbit, w=w, h=h):
                orbit.yaw = -20.0 + 5.0 * i
                renderer.render(splats, orbit.camera(w, h))

            t_draw = time_frames(draw, args.frames)
            t_render = time_frames(render, args.frames)
            fbo.release()
            print(f"| {n:,} | {w}x{h} | {t_draw[0]:.1f} | {t_draw[1]:.1f} | {t_render[0]:.1f} | {t_render[1]:.1f} |",
                  flush=True)
    binding.__exit__(None, None, None)
    renderer.close()
    return 0
