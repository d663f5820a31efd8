"""Pinhole cameras and orbit helpers. numpy only (widgets use it without torch).

Conventions (the same as 3DGS / gsplat):
    world: +y up, the default head looks along +z (its face is seen from a camera on +z), +x is the
           viewer's right when looking at the face from the front.
    camera (OpenCV): +x right, +y down, +z forward (into the scene).
    viewmat: world-to-camera 4x4, p_cam = R @ p_world + t.
    intrinsics: fx, fy, cx, cy in pixels; pixel (i, j) has its centre at (j + 0.5, i + 0.5).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class Camera:
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    viewmat: np.ndarray  # [4, 4] float64, world-to-camera
    near: float = 0.01
    far: float = 1000.0

    def __post_init__(self) -> None:
        vm = np.asarray(self.viewmat, dtype=np.float64)
        if vm.shape != (4, 4) or not np.all(np.isfinite(vm)):
            raise ValueError(f"Camera.viewmat: expected a finite 4x4 matrix, got shape {vm.shape}")
        object.__setattr__(self, "viewmat", vm)
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"Camera: size must be positive, got {self.width}x{self.height}")
        if not (self.fx > 0 and self.fy > 0):
            raise ValueError(f"Camera: focal lengths must be positive, got fx={self.fx} fy={self.fy}")
        if not (0 < self.near < self.far):
            raise ValueError(f"Camera: need 0 < near < far, got near={self.near} far={self.far}")

    @property
    def K(self) -> np.ndarray:
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=np.float64)

    @property
    def rotation(self) -> np.ndarray:
        return self.viewmat[:3, :3]

    @property
    def position(self) -> np.ndarray:
        """Camera centre in world space [3]."""
        return -self.rotation.T @ self.viewmat[:3, 3]

    @property
    def fov_y(self) -> float:
        """Vertical field of view in radians."""
        return 2 * math.atan(self.height / (2 * self.fy))

    def resized(self, width: int, height: int) -> "Camera":
        """The same view at another resolution (intrinsics scaled)."""
        if (width, height) == (self.width, self.height):
            return self
        sx, sy = width / self.width, height / self.height
        return dataclasses.replace(
            self, width=width, height=height, fx=self.fx * sx, fy=self.fy * sy, cx=self.cx * sx, cy=self.cy * sy
        )

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points [N, 3] -> pixel coordinates [N, 2] (x right, y down) and camera depth [N]."""
        p = np.asarray(points, dtype=np.float64) @ self.rotation.T + self.viewmat[:3, 3]
        z = p[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = np.stack([self.fx * p[:, 0] / z + self.cx, self.fy * p[:, 1] / z + self.cy], axis=1)
        return uv, z

    @staticmethod
    def look_at(
        eye, target, width: int, height: int, fov_y_deg: float = 30.0, up=(0.0, 1.0, 0.0), near=0.01, far=1000.0
    ) -> "Camera":
        eye = np.asarray(eye, dtype=np.float64)
        target = np.asarray(target, dtype=np.float64)
        forward = target - eye
        dist = np.linalg.norm(forward)
        if dist < 1e-12:
            raise ValueError("Camera.look_at: eye and target coincide")
        forward /= dist
        right = np.cross(forward, np.asarray(up, dtype=np.float64))
        if np.linalg.norm(right) < 1e-9:  # looking straight along up: pick any perpendicular
            right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        r = np.stack([right, down, forward])
        vm = np.eye(4)
        vm[:3, :3] = r
        vm[:3, 3] = -r @ eye
        fy = height / (2 * math.tan(math.radians(fov_y_deg) / 2))
        return Camera(width, height, fy, fy, width / 2, height / 2, vm, near, far)


@dataclasses.dataclass
class OrbitCamera:
    """Turntable camera: yaw about world +y, pitch up/down, a distance from a target.

    yaw = 0, pitch = 0 looks at the face from the front (camera on +z of the target)."""

    target: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(3))
    yaw: float = 0.0  # degrees, positive turns the camera toward +x (the viewer sees the head's left side)
    pitch: float = 0.0  # degrees, positive looks down from above
    distance: float = 1.0
    fov_y: float = 30.0  # degrees

    MIN_DISTANCE = 1e-3
    PITCH_LIMIT = 89.0

    def eye(self) -> np.ndarray:
        yaw, pitch = math.radians(self.yaw), math.radians(self.pitch)
        direction = np.array([math.sin(yaw) * math.cos(pitch), math.sin(pitch), math.cos(yaw) * math.cos(pitch)])
        return np.asarray(self.target, dtype=np.float64) + self.distance * direction

    def camera(self, width: int, height: int) -> Camera:
        near = max(self.distance * 1e-3, 1e-4)
        return Camera.look_at(self.eye(), self.target, width, height, self.fov_y, near=near, far=self.distance * 100)

    # -- interaction helpers for the viewport
    def orbit(self, d_yaw: float, d_pitch: float) -> None:
        self.yaw = (self.yaw + d_yaw + 180.0) % 360.0 - 180.0
        self.pitch = float(np.clip(self.pitch + d_pitch, -self.PITCH_LIMIT, self.PITCH_LIMIT))

    def zoom(self, factor: float) -> None:
        """factor < 1 moves closer."""
        self.distance = max(self.distance * factor, self.MIN_DISTANCE)

    def pan(self, dx: float, dy: float) -> None:
        """Move the target in the view plane by fractions of the visible height (dx right, dy up)."""
        cam = self.camera(100, 100)
        r = cam.rotation
        scale = 2 * self.distance * math.tan(math.radians(self.fov_y) / 2)
        self.target = np.asarray(self.target, dtype=np.float64) + scale * (dx * r[0] - dy * r[1])

    def frame(self, bounds_min, bounds_max, margin: float = 1.15) -> None:
        """Aim at the centre of an axis-aligned box and back off until its bounding sphere fits."""
        lo, hi = np.asarray(bounds_min, dtype=np.float64), np.asarray(bounds_max, dtype=np.float64)
        self.target = (lo + hi) / 2
        radius = max(float(np.linalg.norm(hi - lo)) / 2, 1e-6)
        self.distance = margin * radius / math.sin(math.radians(self.fov_y) / 2)

    @classmethod
    def framing(cls, bounds_min, bounds_max, yaw=0.0, pitch=0.0, fov_y=30.0) -> "OrbitCamera":
        cam = cls(yaw=yaw, pitch=pitch, fov_y=fov_y)
        cam.frame(bounds_min, bounds_max)
        return cam

    def copy(self) -> "OrbitCamera":
        return dataclasses.replace(self, target=np.array(self.target, dtype=np.float64))
