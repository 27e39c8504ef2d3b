"""页面上的数字都由代码算出：正文里每个带小数的数字，都必须出现在某个代码单元的输出里。

Every decimal number quoted in a chapter's prose (markdown cells, exercise answers
included) must be reproduced by one of the chapter's code outputs, up to the
rounding of the quoted digits. The outputs are the stored ones, which nbval in
turn checks against a fresh execution -- so a number on the page cannot drift
away from what the code computes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))
DECIMAL = re.compile(r"(?<![\w.^])-?\d+\.\d+(?:e[-+]?\d+)?(?![\w.])")


def _text(cell_part) -> str:
    return "".join(cell_part) if isinstance(cell_part, list) else str(cell_part)


def prose_numbers(nb) -> list[str]:
    """Decimal numbers in markdown, leaving out $math$, headings ("## 2.1 ...") and
    section references ("2.2 节")."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", _text(cell["source"]), flags=re.S)
            text = re.sub(r"^#+ .*$", " ", text, flags=re.M)
            text = re.sub(r"\d+(\.\d+)+\s*节", " ", text)
            found += DECIMAL.findall(text)
    return found


def output_numbers(nb) -> list[float]:
    values = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            texts = [_text(out.get("text", ""))]
            texts += [_text(v) for k, v in out.get("data", {}).items() if k == "text/plain"]
            for t in texts:
                values += [float(m) for m in re.findall(r"-?\d+\.\d*(?:e[-+]?\d+)?|-?\d+", t)]
    return values


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_decimal_in_the_prose_is_printed_by_the_code(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    printed = output_numbers(nb)
    quoted = prose_numbers(nb)  # may be empty: a chapter need not quote decimals
    missing = []
    for q in quoted:
        decimals = len(q.split(".")[1].split("e")[0])
        tol = 0.5 * 10**-decimals + 1e-12
        if not any(abs(float(q) - p) <= tol for p in printed):
            missing.append(q)
    assert not missing, f"正文中的这些数字没有出现在任何代码输出中：{missing}"


def test_the_regex_finds_the_books_quoted_numbers():
    # guards the check above against a regex that silently matches nothing
    per_chapter = [prose_numbers(json.loads(p.read_text(encoding="utf-8"))) for p in CHAPTERS]
    assert sum(len(q) for q in per_chapter) >= 20, per_chapter


def test_the_check_catches_a_wrong_number():
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["输出是 [1.9366, 6.6831] 与 0.4683"]},
            {
                "cell_type": "code",
                "outputs": [{"output_type": "stream", "text": "[1.9366 6.6831]"}],
            },
        ]
    }
    printed = output_numbers(nb)
    assert prose_numbers(nb) == ["1.9366", "6.6831", "0.4683"]
    assert not any(abs(0.4683 - p) <= 5e-5 for p in printed)
