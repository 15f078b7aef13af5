"""The command line: clear one-line errors and exit code 1, never a traceback."""

import socket
import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sptweb", *args], capture_output=True, text=True, timeout=60)


def assert_one_line_error(result: subprocess.CompletedProcess, text: str) -> None:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and text in lines[0], result.stderr


def test_a_missing_directory_is_waited_for_not_an_error(tmp_path):
    with socket.socket() as busy:  # the busy port ends the command right after the roots are checked
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", str(tmp_path / "nope"), str(tmp_path), "--port", str(port))
    assert f"waiting for {tmp_path / 'nope'}" in result.stdout
    assert_one_line_error(result, "cannot listen")


def test_file_instead_of_directory(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("x")
    assert_one_line_error(run_cli("serve", str(path)), "not a directory")


def test_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", str(tmp_path), "--port", str(port))
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port}")


def test_demo_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    assert_one_line_error(run_cli("demo", str(tmp_path)), "not empty")
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_bad_flag_values_are_rejected_by_argparse(tmp_path):
    result = run_cli("serve", str(tmp_path), "--poll", "0")
    assert result.returncode == 2 and "between" in result.stderr and "Traceback" not in result.stderr
