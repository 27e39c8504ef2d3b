"""课堂包：把构建好的网站打成一个 zip，拷到没有装本项目的教室电脑上，双击就能打开。

The classroom pack: ``_build/html`` (``make book``) zipped with a way to serve it, for the
classroom computer that has a browser and Python but not this project. Pages must come
over HTTP, not ``file://`` (fonts, the widget manager's modules and the search index do not
load from files), so the pack carries a tiny server that needs nothing but Python 3.8+::

    transformer-book/
      README.txt          怎样打开（中文）: double-click a start file, or one command
      start-windows.bat   Windows: double-click
      start-mac.command   macOS: double-click
      start-linux.sh      Linux: run it (or: python3 serve.py)
      serve.py            the server: http://127.0.0.1:8000/ (the next free port if taken),
                          opens the browser; --lan lets the classroom's computers in
      site/               the built site
      LICENSE, LICENSE-CONTENT, LICENSES.md   the book's licences

The one-line way, without the start files: in ``transformer-book/site/`` run
``python3 -m http.server 8000`` and open http://127.0.0.1:8000/ .

Usage::

    .venv/bin/python scripts/make_classroom_pack.py          # -> _build/transformer-book-site.zip
    .venv/bin/python scripts/make_classroom_pack.py --site DIR --out FILE.zip
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "transformer-book-site.zip"
TOP = "transformer-book"  # the folder the zip unpacks into (ASCII: every unzip tool agrees)
LICENCE_FILES = ("LICENSE", "LICENSE-CONTENT", "LICENSES.md")

# The server in the pack. Standard library only, Python 3.8+ (an old classroom computer).
# It names the types of the files itself: on Windows, Python's mimetypes reads the
# registry, where .js is sometimes text/plain.
SERVE_PY = '''\
"""《动手学 Transformer》课堂包的网页服务器：只用 Python 自带的模块。

    python3 serve.py              # http://127.0.0.1:8000/（被占用就用下一个端口），并打开浏览器
    python3 serve.py --port 8080  # 换端口
    python3 serve.py --lan        # 同一网络里的学生用 http://<这台电脑的 IP>:8000/ 打开
    python3 serve.py --no-browser # 不自动打开浏览器

按 Ctrl+C 停止。
"""

import argparse
import functools
import http.server
import os
import socket
import sys
import webbrowser

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.path.join(HERE, "site")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".ipynb": "application/x-ipynb+json",
    ".txt": "text/plain; charset=utf-8",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    # On Windows SO_REUSEADDR would let a second server share a port already in use.
    allow_reuse_address = sys.platform != "win32"


def lan_address():
    """This computer's address on the local network (no packet is sent)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.255.255.255", 1))
        return s.getsockname()[0]
    except OSError:
        return "<这台电脑的 IP>"
    finally:
        s.close()


def main():
    parser = argparse.ArgumentParser(description="《动手学 Transformer》网页服务器")
    parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000；0：任意空闲端口）")
    parser.add_argument("--lan", action="store_true", help="让同一网络里的电脑也能打开")
    parser.add_argument("--no-browser", action="store_true", help="不自动打开浏览器")
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(SITE, "index.html")):
        sys.exit("找不到 site/index.html：请把整个 zip 解压后再运行。")
    host = "0.0.0.0" if args.lan else "127.0.0.1"
    handler = functools.partial(Handler, directory=SITE)
    ports = [args.port] if args.port == 0 else range(args.port, args.port + 20)
    for port in ports:
        try:
            server = Server((host, port), handler)
            break
        except OSError:
            continue
    else:
        sys.exit("端口 %d–%d 都被占用了：请用 --port 换一个。" % (args.port, args.port + 19))
    url = "http://127.0.0.1:%d/" % server.server_address[1]
    print("《动手学 Transformer》已启动：请用浏览器打开 " + url, flush=True)
    if args.lan:
        lan = "http://%s:%d/" % (lan_address(), server.server_address[1])
        print("同一网络里的学生打开 " + lan, flush=True)
    print("（不需要网络。关闭这个窗口或按 Ctrl+C 停止。）", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
'''

START_BAT = """\
@echo off
chcp 65001 >nul
rem 《动手学 Transformer》：双击启动网页。需要 Python 3（https://www.python.org/）
cd /d "%~dp0"
where py >nul 2>nul && (py -3 serve.py %* & goto :done)
where python >nul 2>nul && (python serve.py %* & goto :done)
echo 没有找到 Python 3。请先安装 Python 3（https://www.python.org/），再双击本文件。
:done
pause
"""

START_SH = """\
#!/bin/sh
# 《动手学 Transformer》：启动网页（需要 Python 3）。用法：./start-linux.sh [--port 8080] [--lan]
cd "$(dirname "$0")" || exit 1
exec python3 serve.py "$@"
"""

README = """\
《动手学 Transformer》课堂包
============================

打开方法（不需要网络，也不需要安装本项目，只需要 Python 3 和一个浏览器）：

  Windows：双击 start-windows.bat
  macOS：  双击 start-mac.command（第一次如果被拦下，右键 → 打开）
  Linux：  在终端里运行 ./start-linux.sh

浏览器会自动打开 http://127.0.0.1:8000/ （8000 被占用时换成 8001、8002……，窗口里会写出来）。
用完关闭那个黑色窗口即可。

只用一行命令（不用上面的文件）：在 site 文件夹里运行

  python3 -m http.server 8000

然后在浏览器里打开 http://127.0.0.1:8000/ 。（Windows 上把 python3 换成 py 或 python。）

请不要直接双击 site 里的 .html 文件：用 file:// 打开时，字体、交互式 widget 和搜索都无法加载。

让学生用自己的电脑打开（同一个局域网）：运行 python3 serve.py --lan（或在 site 里运行
python3 -m http.server 8000 --bind 0.0.0.0），学生在浏览器里打开窗口里写的
http://<这台电脑的 IP>:8000/ 。电脑的防火墙可能会询问是否允许，请选允许（仅限专用网络）。

许可：本书的正文与图片采用 CC BY-SA 4.0，代码采用 MIT 许可证；随书附带的第三方文件保留
各自的许可证。见 LICENSES.md、LICENSE-CONTENT、LICENSE，或网页底部的“许可说明”。
"""


def _add(zf: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(f"{TOP}/{name}", date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.create_system = 3  # Unix: keep the permission bits above
    zf.writestr(info, data)


def make_pack(site: Path = SITE, out: Path = OUT) -> dict:
    """Zip ``site`` with the start files into ``out``; returns what was written."""
    if not (site / "index.html").is_file():
        raise SystemExit(f"没有找到构建好的网站 {site}：请先运行 make book")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".zip.part")
    files = sorted(p for p in site.rglob("*") if p.is_file())
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        _add(zf, "README.txt", README.replace("\n", "\r\n").encode("utf-8-sig"))
        _add(zf, "serve.py", SERVE_PY.encode("utf-8"))
        _add(zf, "start-windows.bat", START_BAT.replace("\n", "\r\n").encode("utf-8"))
        _add(zf, "start-linux.sh", START_SH.encode("utf-8"), executable=True)
        _add(zf, "start-mac.command", START_SH.encode("utf-8"), executable=True)
        for name in LICENCE_FILES:
            if (ROOT / name).is_file():
                _add(zf, name, (ROOT / name).read_bytes())
        for path in files:
            zf.write(path, f"{TOP}/site/{path.relative_to(site).as_posix()}")
    tmp.replace(out)
    names = [p.relative_to(site).as_posix() for p in files]
    return {"zip": out, "bytes": out.stat().st_size, "site_files": names}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=SITE, help=f"构建好的网站（默认 {SITE}）")
    parser.add_argument("--out", type=Path, default=OUT, help=f"zip 文件（默认 {OUT}）")
    args = parser.parse_args()
    start = time.perf_counter()
    done = make_pack(args.site, args.out)
    n = len(done["site_files"])
    print(
        f"课堂包：{done['zip']}（{done['bytes'] / 1e6:.1f} MB，网站 {n} 个文件，"
        f"{time.perf_counter() - start:.1f} s）。解压后双击 start-windows.bat / start-mac.command，"
        "或运行 ./start-linux.sh；浏览器打开 http://127.0.0.1:8000/",
        file=sys.stdout,
    )


if __name__ == "__main__":
    main()
