"""Tiny PNG and GIF encoders plus procedural demo pictures (numpy only, no PIL)."""

from __future__ import annotations

import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# GIF palette of 128 colours: with an LZW minimum code size of 7 every code
# is exactly 8 bits wide, so the "uncompressed" code stream is plain bytes.
GIF_COLOURS = 128
_GIF_CLEAR = GIF_COLOURS
_GIF_END = GIF_COLOURS + 1
# Literals between two clear codes: keeps the decoder's table below 256
# entries so its code width never grows past 8 bits.
_GIF_RUN = 120


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def encode_png(rgb: np.ndarray) -> bytes:
    """Encode an HxWx3 uint8 array as an 8-bit RGB PNG."""
    height, width, _ = rgb.shape
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # Each scanline starts with filter byte 0 ("none").
    filter_column = np.zeros((height, 1), dtype=np.uint8)
    scanlines = np.concatenate([filter_column, rgb.reshape(height, width * 3)], axis=1)
    idat = zlib.compress(np.ascontiguousarray(scanlines, dtype=np.uint8).tobytes(), 6)
    return PNG_SIGNATURE + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _gif_lzw(indices: np.ndarray) -> bytes:
    pixels = indices.astype(np.uint8).ravel().tobytes()
    codes = bytearray()
    for start in range(0, len(pixels), _GIF_RUN):
        codes.append(_GIF_CLEAR)
        codes += pixels[start : start + _GIF_RUN]
    codes.append(_GIF_END)
    blocks = bytearray([7])  # LZW minimum code size
    for start in range(0, len(codes), 255):
        chunk = codes[start : start + 255]
        blocks.append(len(chunk))
        blocks += chunk
    blocks.append(0)
    return bytes(blocks)


def encode_gif(frames: list[np.ndarray], palette: np.ndarray, fps: int) -> bytes:
    """Encode looping HxW uint8 index frames (< 128) with a 128x3 palette."""
    height, width = frames[0].shape
    delay_cs = max(1, round(100 / fps))
    # Global colour table present, 8-bit colour resolution, 2**(6+1) entries.
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF6, 0, 0))
    out += palette.astype(np.uint8).tobytes()
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for frame in frames:
        out += b"\x21\xf9\x04\x04" + struct.pack("<H", delay_cs) + b"\x00\x00"
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0)
        out += _gif_lzw(frame)
    out += b"\x3b"
    return bytes(out)


def heat_palette(colours: int = GIF_COLOURS) -> np.ndarray:
    """A black-red-yellow-white ramp as a (colours, 3) uint8 array."""
    x = np.linspace(0.0, 1.0, colours)
    rgb = np.stack([np.clip(3 * x, 0, 1), np.clip(3 * x - 1, 0, 1), np.clip(3 * x - 2, 0, 1)], axis=1)
    return (rgb * 255).astype(np.uint8)


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return (np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)


def _blobs(rng: np.random.Generator, size: int, count: int) -> np.ndarray:
    """A smooth colourful target picture: gaussian blobs on a gradient."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    picture = np.stack([xx * 0.3, yy * 0.3, (1 - xx) * 0.3], axis=2)
    for _ in range(count):
        cy, cx = rng.uniform(0.15, 0.85, size=2)
        radius = rng.uniform(0.06, 0.18)
        weight = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
        picture += weight[..., None] * rng.uniform(0.2, 1.0, size=3)
    return np.clip(picture, 0, 1)


def _pixelate(picture: np.ndarray, factor: int) -> np.ndarray:
    size = picture.shape[0]
    small = picture.reshape(size // factor, factor, size // factor, factor, -1).mean(axis=(1, 3))
    return np.repeat(np.repeat(small, factor, axis=0), factor, axis=1)


def recon_image(seed: int, progress: float, size: int = 64) -> np.ndarray:
    """A 'reconstruction' that gets sharper and less noisy as progress goes 0 -> 1."""
    target = _blobs(np.random.default_rng(seed), size, count=5)
    factor = 2 ** round(4 * (1 - progress))  # 16x16 blocks early, full res at the end
    noise = np.random.default_rng(seed + 1).normal(0, 0.35 * (1 - progress) + 0.02, target.shape)
    return _to_uint8(_pixelate(target, factor) + noise)


def attention_image(seed: int, progress: float, size: int = 64, grid: int = 8) -> np.ndarray:
    """An 8x8 token attention heatmap whose peak sharpens with progress."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:grid, 0:grid]
    cy, cx = rng.uniform(1, grid - 2, size=2)
    logits = -((yy - cy) ** 2 + (xx - cx) ** 2) * (0.05 + 1.5 * progress)
    logits = logits + rng.normal(0, 1.0 - 0.8 * progress, logits.shape)
    weights = np.exp(logits - logits.max())
    weights /= weights.max()
    cells = np.repeat(np.repeat(weights, size // grid, axis=0), size // grid, axis=1)
    palette = heat_palette(256)
    return palette[(cells * 255).astype(np.uint8)]


def rollout_frames(seed: int, frames: int = 8, size: int = 48) -> list[np.ndarray]:
    """Palette-index frames of a blob circling the centre, for the GIF demo."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    phase = rng.uniform(0, 2 * np.pi)
    out = []
    for i in range(frames):
        angle = phase + 2 * np.pi * i / frames
        cy, cx = 0.5 + 0.28 * np.sin(angle), 0.5 + 0.28 * np.cos(angle)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.01)
        out.append((np.clip(blob + 0.1 * xx, 0, 1) * (GIF_COLOURS - 1)).astype(np.uint8))
    return out
