"""JupyterHub 启动按钮：默认关闭（离线网站上没有点不通的按钮）；学校设置自己的 JupyterHub 后出现。

The launch button for a school's JupyterHub is ``launch_buttons: jupyterhub_url:`` in
``_config.yml``, empty by default, plus ``repository: url:`` (the repository the hub's
nbgitpuller clones; with none set, Jupyter Book would name its own). Checks:

- off by default: ``_config.yml`` has no hub and the built site (``make book``) has no
  launch button;
- with the hub and the repository set (in a copy of ``_config.yml``), a chapter built alone
  into a temporary folder has a "JupyterHub" button that opens the notebook in JupyterLab
  on the hub: ``<hub>/hub/user-redirect/git-pull?repo=<repository>&urlpath=lab/tree/...``.

One build of one page, about 15 s.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from conftest import SITE

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "chapters/02_self_attention"
HUB = "https://hub.example.edu"
REPO = "https://github.com/example/transformer-book"


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _build(tmp: Path) -> str:
    """Build CHAPTER alone with the hub and the repository set; its HTML."""
    config = _config()
    config["launch_buttons"]["jupyterhub_url"] = HUB
    config["repository"] = {"url": REPO, "branch": "main"}
    # Jupyter Book resolves local_extensions' folders from the config file's folder.
    local = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in local.items():
        local[name] = str(ROOT / folder)
    (tmp / "_config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    (tmp / "_toc.yml").write_text(f"format: jb-book\nroot: {CHAPTER}\n", "utf-8")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--config", str(tmp / "_config.yml")]
        + ["--toc", str(tmp / "_toc.yml"), "--path-output", str(tmp / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return (tmp / "out" / "_build" / "html" / f"{CHAPTER}.html").read_text(encoding="utf-8")


def _hub_links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="(' + HUB + r'/[^"]*)"', html)]


def test_off_by_default():
    launch = _config()["launch_buttons"]
    assert not launch.get("jupyterhub_url") and not launch.get("binderhub_url")
    assert not launch.get("colab_url") and not launch.get("thebe")
    page = SITE / f"{CHAPTER}.html"
    if not page.is_file():
        pytest.fail(f"没有找到构建好的网站 {SITE}：请先运行 make book")
    html = page.read_text(encoding="utf-8")
    assert "dropdown-launch-buttons" not in html and "git-pull" not in html


def _query(link: str) -> dict:
    url = urlparse(link)
    assert url.path == "/hub/user-redirect/git-pull", link
    return {k: v[0] for k, v in parse_qs(url.query).items()}


def test_hub_url_and_repository_show_the_button(tmp_path):
    html = _build(tmp_path)
    links = _hub_links(html)
    assert len(links) == 1, links
    query = _query(links[0])
    assert query["repo"] == REPO and query["branch"] == "main"
    # JupyterLab (launch_buttons.notebook_interface), in the folder nbgitpuller clones into.
    assert query["urlpath"] == f"lab/tree/transformer-book/{CHAPTER}.ipynb"
    assert "dropdown-launch-buttons" in html and ">JupyterHub<" in html.replace(" ", "")
