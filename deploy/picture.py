"""Charts of `make bench` and `make faults`: an SVG drawn by hand (no plotting library to
install), turned into a PNG by the Chromium the browser tests use (make chromium)."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def polyline(points: list[tuple[float, float]], colour: str, width: float = 2) -> str:
    return (f'<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')


def as_png(svg: str, path: Path, width: int, height: int) -> Path:
    """Write ``svg`` beside ``path`` (.svg) and render it to ``path`` (PNG). Returns the PNG,
    or the SVG when no Chromium is installed or it could not render."""
    svg_path = path.with_suffix(".svg")
    svg_path.write_text(svg, encoding="utf-8")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        return svg_path
    path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={profile}",
                        f"--window-size={width},{height}", f"--screenshot={path}",
                        svg_path.as_uri()], capture_output=True, timeout=60)
    return path if path.exists() else svg_path
