"""第 5 章的生成 widget（utils/widgets/generation.py）：预先算好的面板、jslink、出错时保留原状。"""

from __future__ import annotations

import html

import pytest
from ipywidgets.widgets.widget_link import Link

from utils.models.char_lm import generation_steps
from utils.models.reference import load_reference
from utils.widgets.generation import NUM_CHARS, PROMPTS, GenerationStepper, render_step


@pytest.fixture(scope="module")
def model():
    return load_reference("char_lm")  # the model chapter 5's widget shows


@pytest.fixture
def stepper(model):
    return GenerationStepper(model)


def _texts(stepper, i):
    return [p.value for p in stepper.panels[i]]


def test_every_step_of_every_prompt_is_precomputed(model, stepper):
    assert len(stepper.panels) == len(PROMPTS)
    assert all(len(row) == NUM_CHARS for row in stepper.panels)
    for i, prompt in enumerate(PROMPTS):
        steps = generation_steps(model, prompt, NUM_CHARS)
        for t, text in enumerate(_texts(stepper, i)):
            assert text == render_step(steps, t, prompt)
            assert f"第 {t + 1} 步" in text
            assert f"{steps[t].top_probs[0]:.4f}" in text
            assert f"{steps[t].attention[-1]:.4f}" in text


def test_controls_are_linked_in_the_browser(stepper):
    links = stepper._links
    assert all(isinstance(link, Link) for link in links)
    assert links[0].source == (stepper.prompt_picker, "index")
    assert links[0].target == (stepper.prompt_tabs, "selected_index")
    assert len(links) == 1 + len(PROMPTS)
    assert all(link.source == (stepper.step_slider, "index") for link in links[1:])
    assert "book-charlm" in stepper.widget._dom_classes
    assert "book-hidden-tabs" in stepper.widget.children[0].value


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "空的"),
        ("   ", "空的"),
        ("hello", "不在语料的字表里"),
        ("我" * 16, "开头太长"),
        ("<script>", "&lt;"),
    ],
)
def test_bad_input_shows_chinese_message_and_keeps_panels(stepper, bad, message):
    before = [_texts(stepper, i) for i in range(len(PROMPTS))]
    assert stepper.set_prompt(bad) is False
    assert message in stepper.message.value
    assert "book-msg-err" in stepper.message.value and "<script>" not in stepper.message.value
    assert [_texts(stepper, i) for i in range(len(PROMPTS))] == before


def test_good_input_replaces_the_selected_prompt(model, stepper):
    others = _texts(stepper, 0)
    stepper.prompt_picker.index = 1
    assert stepper.set_prompt(" 我们 ") is True
    steps = generation_steps(model, "我们", NUM_CHARS)
    assert _texts(stepper, 1)[0] == render_step(steps, 0, "我们")
    assert _texts(stepper, 0) == others
    assert stepper.prompt_picker.index == 1
    assert stepper.prompt_picker.options[1] == "2. 我们"
    assert "book-msg-ok" in stepper.message.value
    # the editor is wired to set_prompt
    stepper.editor.fields[0].value = "xyz"
    assert "不在语料的字表里" in stepper.message.value
    assert html.escape("“x”") in stepper.message.value
