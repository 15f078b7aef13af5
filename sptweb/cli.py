"""Command line: `sptweb serve DIR` and `sptweb demo [DIR]`."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from typing import NoReturn

from . import create_app
from .config import Config
from .server import StartupError, listen, serve

DEFAULT_PORT = 4242
DEFAULT_THREADS = 48  # each open SSE stream holds one; leave room for page and API requests
RESERVED_THREADS = 8  # threads never given to SSE streams, so pages always load
DEMO_MARKER = ".sptweb-demo"  # marks a folder `sptweb demo` may overwrite


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `sptweb` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="sptweb: %(message)s")
    try:
        return args.command(args)
    except StartupError as exc:
        print(f"sptweb: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # stopped before serving started (e.g. while the demo was being written)
        return 0


def _serve(args: argparse.Namespace) -> int:
    runs_dir = os.pathsep.join(_root(path) for path in args.dir)
    sock = listen(args.host, args.port)
    app = create_app(_config(args, runs_dir))
    serve(app, sock, args.threads)
    return _exit_now(0)


def _demo(args: argparse.Namespace) -> int:
    from .demo import LiveWriter, live_recorded_run, write_demo_tree, write_recorded_runs

    sock = listen(args.host, args.port)
    runs_dir = _demo_dir(args.dir)
    print(f"sptweb: writing a demo run tree to {runs_dir} …", flush=True)
    write_demo_tree(runs_dir)
    write_recorded_runs(runs_dir)  # real spt runs, replayed from recordings
    writer = LiveWriter(runs_dir)
    writer.replays.append(live_recorded_run(runs_dir))
    writer.start()  # keeps the demo's running runs training, so the pages are live
    try:
        app = create_app(_config(args, str(runs_dir)))
        serve(app, sock, args.threads)
    finally:
        writer.stop()
    return _exit_now(0)


def _exit_now(code: int) -> NoReturn:
    """Exit without joining threads: one stuck reading a hung NFS file must not keep a stopped server alive."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _config(args: argparse.Namespace, runs_dir: str) -> Config:
    overrides = {"auth": False} if args.no_auth else {}
    if args.token:
        overrides["token"] = args.token
        print(
            "sptweb: WARNING: --token is visible to every user of this machine in `ps`; "
            "prefer SPTWEB_TOKEN or the token file",
            file=sys.stderr,
        )
    if args.no_auth:
        print(
            "sptweb: WARNING: --no-auth: anyone who can reach this port can read your runs and edit their notes",
            file=sys.stderr,
        )
    return Config.from_env(
        {
            **overrides,
            "host": args.host,
            "port": args.port,
            "allowed_hosts": tuple(args.allow_host),
            "runs_dir": runs_dir,
            "poll_interval": args.poll,
            "max_sse_streams": max(1, args.threads - RESERVED_THREADS),
            "read_only": args.read_only,
            "log_templates": tuple(args.logs),
            "start_scanner": False,  # server.serve starts it once its threads are up
        }
    )


def _root(path: str) -> str:
    """A runs root: a directory, or one that does not exist yet (the first run will create it)."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise StartupError(f"{path}: not a directory")
    if not os.path.exists(path):
        print(f"sptweb: waiting for {path}: it does not exist yet; its runs appear as soon as it does", flush=True)
    return os.path.abspath(path)


def _demo_dir(path: str | None):
    """A fresh temp folder, or DIR if it is new, empty, or an earlier demo."""
    from pathlib import Path

    if path is None:
        target = Path(tempfile.mkdtemp(prefix="sptweb-demo-"))
    else:
        target = Path(path).absolute()
        if target.exists() and not target.is_dir():
            raise StartupError(f"{path}: not a directory")
        if target.exists() and any(target.iterdir()):
            if not (target / DEMO_MARKER).exists():
                raise StartupError(f"{path}: not empty and not an earlier demo; pick a new folder")
            shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / DEMO_MARKER).write_text("written by `sptweb demo`; safe to delete\n")
    return target


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sptweb", description="Web viewer for ML training runs.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve_cmd = commands.add_parser("serve", help="serve the runs under DIR (several DIRs: one table)")
    serve_cmd.add_argument(
        "dir",
        metavar="DIR",
        nargs="+",
        help="runs root: every folder below it holding a sidecar.json, a metrics.csv or TensorBoard event files is a run",
    )
    serve_cmd.set_defaults(command=_serve)

    demo_cmd = commands.add_parser("demo", help="write a demo run tree and serve it")
    demo_cmd.add_argument("dir", metavar="DIR", nargs="?", help="where to write it (default: a new temp folder)")
    demo_cmd.set_defaults(command=_demo)

    for sub in (serve_cmd, demo_cmd):
        sub.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        sub.add_argument(
            "--port", type=_bounded(int, 0, 65535), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
        )
        sub.add_argument(
            "--poll", type=_bounded(float, 0.05, 3600), default=1.0, help="seconds between scans (default 1.0)"
        )
        sub.add_argument(
            "--threads",
            type=_bounded(int, 2, 1024),
            default=DEFAULT_THREADS,
            help=f"server threads (default {DEFAULT_THREADS}); live streams may use all but {RESERVED_THREADS}",
        )
        sub.add_argument("--read-only", action="store_true", help="hide edit controls; edit endpoints answer 403")
        sub.add_argument(
            "--logs",
            action="append",
            default=[],
            metavar="TEMPLATE",
            help="where jobs' logs are, e.g. '/nfs/me/slurm/{slurm_job_id}_{slurm_array_task_id}.out' "
            "(fields: slurm_job_id, slurm_array_task_id, run_id, run_dir, hp[<hparam>]); repeatable",
        )
        sub.add_argument("--token", help="access token (default: SPTWEB_TOKEN, else the one in ~/.config/sptweb/token)")
        sub.add_argument("--no-auth", action="store_true", help="no token: anyone who can reach the port gets in")
        sub.add_argument(
            "--allow-host",
            action="append",
            default=[],
            metavar="NAME",
            help="also answer to this Host header (e.g. a proxy name); repeatable",
        )
    return parser


def _bounded(kind, low, high):
    """An argparse type: `kind` within [low, high], with a message saying so otherwise."""

    def parse(text: str):
        try:
            number = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return number

    return parse
