"""The compare page's config diff (id-like columns hidden, run column pinned) and media (only runs that
logged the tag get a tile)."""

from __future__ import annotations

import json

from sptweb.query.id_like import is_id_like


def test_id_like_keys_are_job_ids_hosts_and_per_run_strings():
    assert is_id_like("slurm.job_id", [1, 1, 1]) and is_id_like("slurm.nodelist", ["n1", "n1", "n2"])
    assert is_id_like("output_dir", ["/r/a", "/r/b", "/r/c"])  # a different path for every run
    assert not is_id_like("optim.lr", [0.1, 0.01, 0.1]) and not is_id_like("model.name", ["vit", "vit", "resnet"])
    assert not is_id_like("data.name", ["a", "b"])  # two runs, two values: that proves nothing


def test_config_diff_hides_id_like_columns_until_asked(client, make_run, scan):
    for index, lr in enumerate((0.1, 0.01, 0.001)):
        make_run(f"sw/{index}", hparams={"lr": lr, "slurm.job_id": 100 + index, "output_dir": f"/out/{index}"})
    scan()
    html = client.get("/compare?q=sw/&view=diff").text
    assert ">hp.lr</a>" in html and "hp.slurm.job_id" not in html and "hp.output_dir" not in html
    assert "2 id-like hidden" in html and 'class="runs diff pinned-first"' in html
    shown = client.get("/compare?q=sw/&view=diff&ids=1").text
    assert "hp.slurm.job_id" in shown and "hp.output_dir" in shown and "hide id-like columns" in shown


def test_compare_media_tiles_only_for_runs_that_logged_the_tag(client, make_run, scan):
    for name, tags in (("with", ["samples"]), ("also", ["samples"]), ("without", ["other"]), ("none", [])):
        run_dir = make_run(f"m/{name}")
        events = [{"step": 10, "tag": tag, "type": "image", "path": f"media/{tag}.png"} for tag in tags]
        (run_dir / "media.jsonl").write_text("".join(json.dumps(event) + "\n" for event in events))
    scan()
    html = client.get("/compare?runs=m/with,m/also,m/without,m/none&view=media&tag=samples").text
    tiles = html.split('class="media-compare"')[1]
    shown = {name for name in ("with", "also", "without", "none") if f'href="/run/m/{name}?' in tiles}
    assert shown == {"with", "also"}
    assert "2 other runs never logged <code>samples</code>" in html
