"""media.jsonl events plus the PNG/GIF files they point at."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .images import attention_image, encode_gif, encode_png, heat_palette, recon_image, rollout_frames
from .plan import RunSpec

MEDIA_STEPS = 6  # image events per tag over the run's logged range
RECON_ITEMS = 2  # samples/recon logs two images per step
VIDEO_FPS = 4


def media_rel_path(tag: str, step: int, index: int, ext: str) -> str:
    """RegistryLogger's layout: media/<tag with / as __>/<step:08d>_<i>.<ext>."""
    return f"media/{tag.replace('/', '__')}/{step:08d}_{index}.{ext}"


def _save(run_dir: Path, rel_path: str, payload: bytes) -> None:
    target = run_dir / rel_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(payload)


def _image_events(run_dir: Path, step: int, progress: float, seed: int) -> list[dict]:
    events = []
    for index in range(RECON_ITEMS):
        path = media_rel_path("samples/recon", step, index, "png")
        _save(run_dir, path, encode_png(recon_image(seed + index, progress)))
        events.append(
            {
                "step": step,
                "tag": "samples/recon",
                "type": "image",
                "path": path,
                "caption": f"reconstruction of val sample {index} at step {step}",
            }
        )
    path = media_rel_path("attention/map", step, 0, "png")
    _save(run_dir, path, encode_png(attention_image(seed, progress)))
    # RegistryLogger writes caption null when none was given.
    events.append({"step": step, "tag": "attention/map", "type": "image", "path": path, "caption": None})
    return events


def _video_event(run_dir: Path, step: int, seed: int) -> dict:
    path = media_rel_path("rollout/video", step, 0, "gif")
    _save(run_dir, path, encode_gif(rollout_frames(seed + step), heat_palette(), VIDEO_FPS))
    return {
        "step": step,
        "tag": "rollout/video",
        "type": "video",
        "path": path,
        "caption": f"policy rollout at step {step}",
        "fps": VIDEO_FPS,
        "format": "gif",
    }


def write_media(spec: RunSpec, run_dir: Path) -> None:
    """Write media files and media.jsonl for runs with a media role."""
    max_steps = int(spec.hparams["trainer.max_steps"])
    steps = np.linspace(0, spec.steps_done - 1, MEDIA_STEPS).astype(int).tolist()
    seed = sum(spec.rng_seed) % 10_000
    events = []
    for step in steps:
        events += _image_events(run_dir, step, progress=step / max_steps, seed=seed)
        if spec.media == "video" and step in steps[::2]:
            events.append(_video_event(run_dir, step, seed))
    # Appended one event at a time in real runs; ordered by step here too.
    with open(run_dir / "media.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(event) + "\n" for event in events)
