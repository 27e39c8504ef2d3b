"""utils.models.vit：切块、卷积投影、编码器块与整个模型，都与 PyTorch 自己的模块比较（float64）。

The judge is PyTorch: the patch projection against ``nn.Conv2d`` + ``F.unfold``, each of
the ViT's own blocks against ``nn.TransformerEncoderLayer(norm_first=True, "gelu")`` with
the same weights, and the whole ViT against a reference assembled from torch modules
only (Conv2d, nn.TransformerEncoder, LayerNorm, Linear). Then the data, the training
function and the chapter's claims (position encoding is needed; CLS attention sums to 1).
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from utils.models.reference import load_reference
from utils.models.vit import (
    NUM_DIGITS,
    PatchEmbedding,
    PatchLinearEmbedding,
    ViT,
    accuracy,
    cls_attention,
    confusion_matrix,
    count_parameters,
    drop_patches,
    load_digits_split,
    nearest_neighbour_predict,
    neighbour_similarity,
    patchify,
    position_similarity,
    predict,
    random_shift,
    shuffle_patches,
    trace,
    train_vit,
    unpatchify,
    vit_parameter_count,
)
from utils.nn.positional_encoding import positional_encoding
from utils.nn.transformer import to_torch_encoder_layer

ATOL = 1e-10


@pytest.fixture
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(old)


def _randomize(model):
    """LayerNorm starts as weight 1, bias 0; random values make comparisons meaningful."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
        if isinstance(model, ViT):
            model.cls_token.normal_()
            if model.position == "learned":
                model.pos.weight.normal_()
    return model


# --- 1) patches ---------------------------------------------------------------------------


def test_patchify_shape_and_row_major_order():
    x = torch.arange(2 * 3 * 4 * 6, dtype=torch.float64).reshape(2, 3, 4, 6)
    p = patchify(x, 2)
    assert p.shape == (2, 6, 12)  # (4/2)·(6/2) patches of 2·2·3 values
    # patch 1 (second in the first row) is rows 0-1, columns 2-3, channel-major
    assert torch.equal(p[1, 1], x[1, :, 0:2, 2:4].reshape(-1))
    # patch 3 starts the second row of patches
    assert torch.equal(p[0, 3], x[0, :, 2:4, 0:2].reshape(-1))


def test_patchify_matches_torch_unfold():
    x = torch.randn(3, 2, 8, 8, dtype=torch.float64)
    ref = F.unfold(x, kernel_size=4, stride=4).transpose(1, 2)  # (batch, L, C·p·p)
    assert torch.equal(patchify(x, 4), ref)


@pytest.mark.parametrize(
    "args, message",
    [
        ((torch.zeros(1, 1, 8, 8), 3), "整除"),
        ((torch.zeros(1, 1, 8, 8), 0), "正整数"),
        ((torch.zeros(1, 1, 8, 8), 2.0), "正整数"),
        ((torch.zeros(8, 8), 2), "形状"),
        (([[0.0]], 2), "torch.Tensor"),
    ],
)
def test_patchify_rejects_bad_input_in_chinese(args, message):
    with pytest.raises(ValueError, match=message):
        patchify(*args)


def test_unpatchify_inverts_patchify():
    x = torch.randn(2, 3, 8, 8)
    assert torch.equal(unpatchify(patchify(x, 2), 2, 3, 8), x)


def test_conv_projection_equals_patches_times_linear(float64):
    embed = PatchEmbedding(3, 4, 16)
    x = torch.randn(2, 3, 8, 8)
    out = embed(x)
    assert out.shape == (2, 4, 16)
    lin = PatchLinearEmbedding.from_conv(embed)
    torch.testing.assert_close(lin(x), out, atol=ATOL, rtol=0)
    # and against torch's own conv2d on the same weights, flattened and transposed
    ref = F.conv2d(x, embed.proj.weight, embed.proj.bias, stride=4).flatten(2).transpose(1, 2)
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)


def test_patch_embedding_rejects_wrong_channels():
    with pytest.raises(ValueError, match="通道"):
        PatchEmbedding(1, 2, 8)(torch.zeros(1, 3, 8, 8))


# --- 2)-6) the blocks and the whole model ---------------------------------------------------


def test_each_vit_block_matches_torch_encoder_layer(float64):
    model = _randomize(ViT(d_model=32, num_heads=4, num_layers=3, d_ff=48)).eval()
    x = torch.randn(5, model.seq_len, 32)
    for block in model.blocks:
        assert block.norm_first
        ref = to_torch_encoder_layer(block)
        assert ref.norm_first and ref.activation is F.gelu
        torch.testing.assert_close(block(x), ref(x), atol=ATOL, rtol=0)
        x = block(x)


def _torch_reference(model: ViT):
    """The same ViT from torch modules only; weights copied from ``model``."""
    d = model.d_model
    conv = nn.Conv2d(model.in_channels, d, model.patch_size, stride=model.patch_size)
    conv.load_state_dict(model.patch_embed.proj.state_dict())
    layers = [to_torch_encoder_layer(b) for b in model.blocks]
    encoder = nn.TransformerEncoder(
        layers[0], len(layers), norm=nn.LayerNorm(d), enable_nested_tensor=False
    )
    for ours, theirs in zip(layers, encoder.layers, strict=True):
        theirs.load_state_dict(ours.state_dict())
    encoder.norm.load_state_dict(model.encoder.norm.state_dict())
    head = nn.Linear(d, model.num_classes)
    head.load_state_dict(model.head.state_dict())
    pos = model.position_vectors()
    cls = model.cls_token.detach().clone()

    def forward(images):
        x = conv(images).flatten(2).transpose(1, 2)  # (batch, num_patches, d)
        x = torch.cat([cls.expand(len(images), -1, -1), x], dim=1)
        if pos is not None:
            x = x + pos
        return head(encoder.eval()(x)[:, 0])

    return forward


@pytest.mark.parametrize("position", ["learned", "fixed", "none"])
def test_whole_vit_matches_a_reference_from_torch_modules(float64, position):
    model = _randomize(ViT(position=position, d_model=16, num_heads=2, num_layers=2)).eval()
    images = torch.rand(4, 1, 8, 8)
    ref = _torch_reference(model)
    with torch.no_grad():
        torch.testing.assert_close(model(images), ref(images), atol=ATOL, rtol=0)


def test_fixed_position_is_the_sinusoidal_formula_and_has_no_parameters(float64):
    model = ViT(position="fixed", d_model=16, num_heads=2)
    torch.testing.assert_close(model.position_vectors(), positional_encoding(17, 16))
    learned = ViT(position="learned", d_model=16, num_heads=2)
    assert count_parameters(learned) - count_parameters(model) == 17 * 16


def test_tokens_shape_cls_first(float64):
    model = ViT(d_model=16, num_heads=2, position="none")
    x = torch.rand(3, 1, 8, 8)
    tokens = model.tokens(x)
    assert tokens.shape == (3, 17, 16)
    for i in range(3):
        torch.testing.assert_close(tokens[i, 0], model.cls_token[0, 0])
    torch.testing.assert_close(tokens[:, 1:], model.patch_embed(x))


def test_parameter_count_formula_matches_the_model():
    model = ViT(d_model=32, num_heads=4, num_layers=3, d_ff=48)
    counted = vit_parameter_count(
        image_size=8,
        patch_size=2,
        in_channels=1,
        d_model=32,
        num_layers=3,
        d_ff=48,
        num_classes=10,
    )
    assert counted["total"] == count_parameters(model)


def test_without_position_the_patch_order_does_not_matter(float64):
    """The chapter's claim: with no position encoding the CLS output ignores patch order."""
    images = torch.rand(3, 1, 8, 8)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(1))
    shuffled = shuffle_patches(images, 2, perm)
    assert not torch.equal(shuffled, images)
    none = _randomize(ViT(position="none", d_model=16, num_heads=2)).eval()
    torch.testing.assert_close(none(shuffled), none(images), atol=ATOL, rtol=0)
    for position in ("learned", "fixed"):
        model = _randomize(ViT(position=position, d_model=16, num_heads=2)).eval()
        assert (model(shuffled) - model(images)).abs().max() > 1e-3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(patch_size=3), "整除"),
        (dict(position="2d"), "position"),
        (dict(d_model=30, num_heads=4), "整除"),
        (dict(num_classes=1), "num_classes"),
    ],
)
def test_vit_rejects_bad_config_in_chinese(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ViT(**kwargs)


def test_vit_rejects_wrong_image_size():
    with pytest.raises(ValueError, match="形状"):
        ViT()(torch.zeros(1, 1, 16, 16))


# --- looking inside -------------------------------------------------------------------------


def test_cls_attention_is_the_cls_row_of_the_last_attention(float64):
    model = _randomize(ViT(d_model=16, num_heads=2)).eval()
    images = torch.rand(2, 1, 8, 8)
    maps = cls_attention(model, images, layer=1)
    assert maps.shape == (2, 4, 4)
    full = model.blocks[1].last_attention.mean(dim=1)  # (batch, 17, 17)
    torch.testing.assert_close(maps.reshape(2, 16), full[:, 0, 1:])
    # the CLS row sums to 1 with the CLS token's weight on itself
    torch.testing.assert_close(maps.sum(dim=(1, 2)) + full[:, 0, 0], torch.ones(2))
    one_head = cls_attention(model, images, layer=-1, head=1)
    torch.testing.assert_close(
        one_head.reshape(2, 16), model.blocks[-1].last_attention[:, 1, 0, 1:]
    )
    with pytest.raises(ValueError, match="层"):
        cls_attention(model, images, layer=5)
    with pytest.raises(ValueError, match="头"):
        cls_attention(model, images, head=2)


def test_trace_records_every_stage(float64):
    model = _randomize(ViT(d_model=16, num_heads=2, num_layers=2)).eval()
    image = torch.rand(1, 8, 8)
    t = trace(model, image)
    assert t.patches.shape == (16, 4) and t.tokens.shape == (17, 16)
    assert len(t.attention) == 2 and t.attention[0].shape == (2, 17, 17)
    torch.testing.assert_close(t.probs, torch.softmax(model(image[None])[0], -1))
    torch.testing.assert_close(t.attention[0].sum(-1), torch.ones(2, 17))
    with pytest.raises(ValueError, match="形状"):
        trace(model, torch.rand(8, 8))


def test_position_similarity_of_the_sinusoid_depends_on_distance():
    sim = position_similarity(positional_encoding(17, 64))
    assert sim.shape == (16, 16)
    torch.testing.assert_close(sim.diagonal(), torch.ones(16, dtype=torch.float64))
    torch.testing.assert_close(sim[0, 3], sim[5, 8])  # same distance 3


# --- data, augmentation, metrics, training --------------------------------------------------


def test_digits_split_is_stratified_and_fixed():
    a, b = load_digits_split(), load_digits_split()
    assert a.x_train.shape == (1437, 1, 8, 8) and a.x_test.shape == (360, 1, 8, 8)
    assert torch.equal(a.test_index, b.test_index)
    counts = torch.bincount(a.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # ~10 % of each digit
    assert float(a.x_train.min()) == 0.0 and float(a.x_train.max()) == 1.0
    from sklearn.datasets import load_digits

    digits = load_digits()
    assert len(set(a.test_index.tolist())) == 360
    images = torch.tensor(digits.images[a.test_index.numpy()], dtype=torch.float32) / 16
    assert torch.equal(a.x_test[:, 0], images)
    assert torch.equal(a.y_test, torch.tensor(digits.target[a.test_index.numpy()]))
    with pytest.raises(ValueError, match="test_size"):
        load_digits_split(test_size=2.0)


def test_random_shift_moves_by_at_most_one_pixel():
    x = torch.zeros(200, 1, 8, 8)
    x[:, 0, 3, 4] = 1.0
    out = random_shift(x, 1, generator=torch.Generator().manual_seed(0))
    pos = out[:, 0].flatten(1).argmax(1)
    rows, cols = pos // 8, pos % 8
    assert ((rows - 3).abs() <= 1).all() and ((cols - 4).abs() <= 1).all()
    assert len(set(zip(rows.tolist(), cols.tolist(), strict=True))) == 9  # all 9 shifts occur
    assert torch.equal(out.sum(dim=(1, 2, 3)), torch.ones(200))
    with pytest.raises(ValueError, match="max_shift"):
        random_shift(x, -1)


def test_confusion_matrix_matches_sklearn():
    from sklearn.metrics import confusion_matrix as sk_confusion

    g = torch.Generator().manual_seed(0)
    y_true = torch.randint(0, 10, (300,), generator=g)
    y_pred = torch.randint(0, 10, (300,), generator=g)
    ours = confusion_matrix(y_true, y_pred)
    assert ours.tolist() == sk_confusion(y_true, y_pred, labels=range(10)).tolist()
    with pytest.raises(ValueError, match="类别"):
        confusion_matrix(torch.tensor([0, 10]), torch.tensor([0, 1]))


def test_train_vit_learns_and_is_reproducible():
    split = load_digits_split()
    # the default regularisers (patch dropout, shifts) are on: they use the seeded RNG too
    kwargs = dict(epochs=5, batch_size=64, d_model=16, num_heads=2, num_layers=1)
    m1, h1, s1 = train_vit(split, **kwargs)
    m2, h2, _ = train_vit(split, **kwargs)
    assert s1 > 0 and len(h1.epoch) == 5 and not m1.training
    assert h1.train_loss == h2.train_loss and h1.test_acc == h2.test_acc
    assert h1.train_loss[-1] < h1.train_loss[0]
    assert h1.test_acc[-1] > 0.3  # far above chance (0.1) after five short epochs
    with pytest.raises(ValueError, match="epochs"):
        train_vit(split, epochs=0)
    assert h1.test_epoch == [4, 5] and len(h1.test_acc) == 2  # every 4 (the default), and the last
    _, h3, _ = train_vit(split, eval_every=1, **kwargs)
    assert h3.test_epoch == h3.epoch  # eval_every=1: a test accuracy for every epoch
    assert h3.train_loss == h1.train_loss  # evaluating more often changes nothing else
    with pytest.raises(ValueError, match="eval_every"):
        train_vit(split, eval_every=0)


def test_drop_patches_keeps_cls_and_random_patches_with_their_positions():
    tokens = torch.randn(5, 17, 8, dtype=torch.float64)  # (batch, 1 + 16 patches, d_model)
    kept, index = drop_patches(tokens, 10, generator=torch.Generator().manual_seed(0))
    assert kept.shape == (5, 11, 8) and index.shape == (5, 10)
    assert torch.equal(kept[:, 0], tokens[:, 0])  # CLS stays first
    for b in range(5):
        assert index[b].tolist() == sorted(set(index[b].tolist()))  # distinct, in order
        assert torch.equal(kept[b, 1:], tokens[b, 1 + index[b]])  # tokens unchanged
    assert len({tuple(row.tolist()) for row in index}) > 1  # each image its own choice
    full, all_index = drop_patches(tokens, 16)
    assert torch.equal(full, tokens) and all_index[0].tolist() == list(range(16))
    for bad in (0, 17, 2.5, True):
        with pytest.raises(ValueError, match="keep"):
            drop_patches(tokens, bad)
    with pytest.raises(ValueError, match="tokens"):
        drop_patches(torch.zeros(3, 8), 2)


def test_vit_drops_patches_only_in_training():
    torch.manual_seed(0)
    model = ViT(d_model=16, num_heads=2, num_layers=1, patch_keep=6)
    images = torch.rand(3, 1, 8, 8)
    with pytest.raises(RuntimeError, match="还没有做过前向计算"):
        model.attention_maps()  # no forward pass yet: no weights to show
    model.train()
    model(images)
    assert model.blocks[0].last_attention.shape == (3, 2, 7, 7)  # CLS + 6 patches
    model.eval()
    out = model(images)
    assert model.blocks[0].last_attention.shape == (3, 2, 17, 17)  # every patch
    reference = ViT(d_model=16, num_heads=2, num_layers=1).eval()
    reference.load_state_dict(model.state_dict())
    assert torch.equal(out, reference(images))  # eval mode: patch_keep changes nothing
    for bad in (0, 17, 1.5):
        with pytest.raises(ValueError, match="patch_keep"):
            ViT(patch_keep=bad)


def test_neighbour_similarity_separates_near_and_far():
    from utils.models.vit import neighbour_similarity

    idx = torch.arange(16)
    r, c = idx // 4, idx % 4
    dist = (r[:, None] - r[None, :]).abs() + (c[:, None] - c[None, :]).abs()
    sim = 1.0 - dist.double() / 6  # similarity falls with grid distance
    near, far = neighbour_similarity(sim, 4)
    assert near == pytest.approx(1 - 1 / 6)
    assert far == pytest.approx(float(sim[dist >= 4].mean()))
    with pytest.raises(ValueError, match="形状"):
        neighbour_similarity(torch.zeros(3, 3), 4)


def test_plots_draw_with_chinese_titles():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from utils.models.vit import TrainHistory
    from utils.plots import use_chinese_font
    from utils.plots.vit import (
        plot_cls_attention,
        plot_confusion,
        plot_digits,
        plot_learning_curve,
        plot_misclassified,
        plot_patches,
        plot_position_similarity,
    )

    use_chinese_font()
    img = torch.rand(3, 1, 8, 8)
    hist = TrainHistory(
        epoch=[1, 2, 3, 4],
        train_loss=[2.0, 1.0, 0.5, 0.4],
        train_acc=[0.5, 0.8, 0.9, 0.92],
        test_epoch=[2, 4],  # measured every 2 epochs
        test_acc=[0.7, 0.99],
    )
    figs = [
        plot_patches(img[0], 2),
        plot_learning_curve(hist),
        plot_cls_attention(img, torch.rand(3, 4, 4), [1, 2, 3], [1, 2, 4], title="注意力"),
        plot_confusion(torch.eye(10, dtype=torch.long) * 3),
        plot_misclassified(img, [1, 2, 3], [7, 7, 7]),
        plot_misclassified(img, [1, 2, 3], [7, 7, 7], indices=torch.tensor([5, 41, 300])),
        plot_misclassified(img[:0], [], []),
        plot_position_similarity([torch.eye(16)], ["位置"], grid=4),
        plot_digits([img[0], img[1]], ["原图", "打乱"]),
    ]
    texts = [t.get_text() for f in figs for t in f.findobj(matplotlib.text.Text)]
    assert "混淆矩阵（测试集）" in texts and "块 16" in texts and "3 → 7" in texts
    assert "#41\n2 → 7" in texts  # the test-set index, to type into chapter 6's widget
    with pytest.raises(ValueError, match="indices"):
        plot_misclassified(img, [1, 2, 3], [7, 7, 7], indices=[5])
    for f in figs:
        plt.close(f)


def test_train_vit_with_exercise_8s_big_patches():
    # exercise 8 (and benchmark --vit-patch4): 4 patches of 4×4, no patch dropout
    split = load_digits_split()
    model, history, _ = train_vit(
        split, patch_size=4, patch_keep=None, epochs=5, batch_size=512, d_model=16, num_heads=2
    )
    assert model.grid == 2 and model.seq_len == 5 and model.patch_keep is None
    assert history.train_loss[-1] < history.train_loss[0]
    with torch.no_grad():
        model(split.x_test[:3])  # eval mode: every patch
    assert model.attention_maps()[0].shape == (3, 2, 5, 5)  # CLS + 4 patches
    with pytest.raises(ValueError, match="patch_keep"):
        train_vit(split, patch_size=4, patch_keep=10)  # only 4 patches to keep


# --- bad input: the shared checks (utils._validate) -----------------------------------------

VIT_BAD_CALLS = {
    "patch size bool": (lambda: patchify(torch.zeros(1, 1, 8, 8), True), "patch_size（块的边长）"),
    "embedding channels 0": (lambda: PatchEmbedding(0, 2, 8), "in_channels 必须是正整数"),
    "image size float": (
        lambda: ViT(image_size=8.0),
        "image_size（图像边长）必须是 1 到 1024 之间的整数",
    ),
    "num classes 1": (
        lambda: ViT(num_classes=1),
        "num_classes（类别数）必须是 2 到 100000 之间的整数",
    ),
    "patch keep too big": (
        lambda: ViT(patch_keep=17),
        "patch_keep（训练时保留的块数）必须是 1 到 16 之间的整数，实际是 17",
    ),
    "drop keep 0": (
        lambda: drop_patches(torch.zeros(2, 5, 4), 0),
        "keep（保留的块数）必须是 1 到 4 之间的整数",
    ),
    "shift negative": (
        lambda: random_shift(torch.zeros(1, 1, 8, 8), -1),
        "max_shift（最大平移）必须是 0 到 8 之间的整数",
    ),
    "train lr negative": (lambda: train_vit(lr=-1), "lr（学习率）必须是有限的正数，实际是 -1"),
    "train lr nan": (lambda: train_vit(lr=float("nan")), "lr（学习率）必须是有限的正数"),
    "train lr string": (lambda: train_vit(lr="0.01"), "lr（学习率）必须是有限的正数"),
    "train seed negative": (lambda: train_vit(seed=-1), "seed 必须是不小于 0 的整数"),
    "train batch 0": (lambda: train_vit(batch_size=0), "batch_size 必须是正整数"),
    "train threads 0": (
        lambda: train_vit(load_digits_split(), epochs=1, num_threads=0),
        "num_threads（线程数）必须是正整数",
    ),
    "position similarity zero": (
        lambda: position_similarity(torch.zeros(5, 4)),
        "pos（位置向量）里有零向量",
    ),
}


@pytest.mark.parametrize("call, fragment", VIT_BAD_CALLS.values(), ids=VIT_BAD_CALLS.keys())
def test_bad_input_gives_chinese_message(call, fragment):
    threads = torch.get_num_threads()
    with pytest.raises(ValueError, match=fragment):
        call()
    assert torch.get_num_threads() == threads


def test_cls_attention_layer_and_head_ranges_in_the_message():
    model = ViT(d_model=16, num_heads=2, num_layers=2).eval()
    images = torch.rand(1, 1, 8, 8)
    with pytest.raises(ValueError, match="layer（层）必须是 -2 到 1 之间的整数，实际是 2"):
        cls_attention(model, images, layer=2)
    with pytest.raises(ValueError, match="head（头）必须是 0 到 1 之间的整数，实际是 2"):
        cls_attention(model, images, head=2)
    assert cls_attention(model, images, layer=-2, head=1).shape == (1, 4, 4)


def test_position_similarity_with_one_zero_row_is_rejected():
    pos = positional_encoding(17, 64).clone()
    pos[0] = 0.0  # the CLS row is left out: no problem
    assert position_similarity(pos).shape == (16, 16)
    pos[5] = 0.0
    with pytest.raises(ValueError, match="零向量"):
        position_similarity(pos)


# --- bad input: every class of failure of the sweep in issue 16 -------------------------------

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def shipped():
    return load_reference("vit")  # float64


@pytest.fixture(scope="module")
def pixels():
    """Two 8×8 images with integer pixels 0..16, as in scikit-learn's digits."""
    return torch.randint(0, 17, (2, 1, 8, 8), generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("dtype", [torch.int64, torch.uint8, torch.float32, torch.float64])
def test_any_pixel_type_goes_through_the_model(shipped, pixels, dtype):
    # integer or float64 images used to stop in torch ("Input type … and bias type … should
    # be the same"); every entry point computes in the model's own type
    x = pixels.to(dtype)
    exact = pixels.double()
    assert torch.equal(predict(shipped, x), predict(shipped, exact))
    assert torch.equal(cls_attention(shipped, x), cls_attention(shipped, exact))
    t = trace(shipped, x[0])
    assert t.image.is_floating_point() and t.patches.is_floating_point()  # "都是 float"
    assert torch.equal(t.probs, trace(shipped, exact[0]).probs)
    assert accuracy(shipped, x, torch.tensor([0, 1])) in (0.0, 0.5, 1.0)
    linear = PatchLinearEmbedding(1, 2, 4)
    torch.testing.assert_close(linear(x), linear(pixels.float()))
    assert random_shift(x, 1).dtype == dtype
    assert torch.equal(shuffle_patches(x, 2, list(range(16))[::-1]).sum(), x.sum())


def _random_shift_before_issue_16(images, max_shift, prob, generator):
    """The loop over all (2m + 1)² shifts that random_shift used before: the reference."""
    batch, _, height, width = images.shape
    m = max_shift
    padded = F.pad(images, (m, m, m, m))
    shifts = torch.randint(-m, m + 1, (2, batch), generator=generator)
    if prob < 1.0:
        shifts = shifts * (torch.rand(batch, generator=generator) < prob)
    out = torch.empty_like(images)
    for dy in range(-m, m + 1):
        for dx in range(-m, m + 1):
            sel = (shifts[0] == dy) & (shifts[1] == dx)
            out[sel] = padded[sel, :, m - dy : m - dy + height, m - dx : m - dx + width]
    return out


@pytest.mark.parametrize("max_shift, prob", [(1, 1.0), (1, 0.5), (3, 0.7), (8, 1.0)])
def test_random_shift_gives_the_same_images_as_before(max_shift, prob):
    # only the shifts that were drawn are visited now: same random draws, same images
    x = torch.rand(300, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    new = random_shift(x, max_shift, prob=prob, generator=torch.Generator().manual_seed(2))
    old = _random_shift_before_issue_16(x, max_shift, prob, torch.Generator().manual_seed(2))
    assert torch.equal(new, old)


def test_a_huge_shift_is_refused_at_once():
    # the work grew with the square of the shift: max_shift=1000 ran for minutes
    start = time.perf_counter()
    with pytest.raises(ValueError, match="max_shift（最大平移）必须是 0 到 8 之间的整数"):
        random_shift(torch.zeros(4, 1, 8, 8), 1000)
    assert time.perf_counter() - start < 0.5


def _image(value):
    x = torch.rand(2, 1, 8, 8, dtype=torch.float64)
    x[1, 0, 3, 3] = value
    return x


VIT_MODEL_BAD = {
    "nan pixel": (
        lambda m: predict(m, _image(float("nan"))),
        ValueError,
        "images（图像）含有 NaN",
    ),
    "inf pixel": (lambda m: cls_attention(m, _image(float("inf"))), ValueError, "images（图像）"),
    "nan image traced": (lambda m: trace(m, _image(float("nan"))[1]), ValueError, "images（图像）"),
    "bool pixels": (
        lambda m: predict(m, torch.ones(1, 1, 8, 8, dtype=torch.bool)),
        TypeError,
        "像素",
    ),
    "no image": (lambda m: predict(m, torch.zeros(0, 1, 8, 8)), ValueError, "images（图像）是空的"),
    "numpy images": (lambda m: predict(m, np.zeros((2, 1, 8, 8))), ValueError, "torch.Tensor"),
    "batch_size 0": (
        lambda m: predict(m, torch.zeros(2, 1, 8, 8), batch_size=0),
        ValueError,
        "batch_size（批大小）必须是正整数",
    ),
    "predict not a model": (lambda m: predict("vit", torch.zeros(1, 1, 8, 8)), TypeError, "model"),
    "three labels for two images": (
        lambda m: accuracy(m, torch.zeros(2, 1, 8, 8), torch.tensor([1, 2, 3])),
        ValueError,
        "labels 有 3 个，图有 2 张",
    ),
    "one label for two images": (
        lambda m: accuracy(m, torch.zeros(2, 1, 8, 8), torch.tensor(1)),
        ValueError,
        "labels（标签）应是 1 维的编号",
    ),
    "label 10": (
        lambda m: accuracy(m, torch.zeros(2, 1, 8, 8), torch.tensor([1, 10])),
        ValueError,
        "labels（标签）里的类别必须在 0 到 9 之间",
    ),
    "cls_attention of None": (lambda m: cls_attention(m, None), ValueError, "torch.Tensor"),
    "cls_attention not a ViT": (
        lambda m: cls_attention(nn.Linear(2, 2), torch.zeros(1, 1, 8, 8)),
        TypeError,
        "model 必须是 ViT",
    ),
    "trace numpy": (lambda m: trace(m, np.zeros((1, 8, 8))), ValueError, "image 的形状"),
    "trace without a model": (lambda m: trace(None, torch.zeros(1, 8, 8)), TypeError, "ViT"),
}


@pytest.mark.parametrize("call, error, fragment", VIT_MODEL_BAD.values(), ids=VIT_MODEL_BAD.keys())
def test_bad_images_are_refused_in_chinese(shipped, call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call(shipped)
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


IMG = torch.zeros(2, 1, 8, 8)

VIT_OTHER_BAD = {
    "shift prob a string": (lambda: random_shift(IMG, 1, prob="0.5"), ValueError, "prob"),
    "shift bool images": (lambda: random_shift(IMG.bool(), 1), TypeError, "像素"),
    "float perm": (
        lambda: shuffle_patches(IMG, 2, [float(i) for i in range(16)]),
        TypeError,
        "perm（块的新顺序）必须是整数编号",
    ),
    "string perm": (lambda: shuffle_patches(IMG, 2, "0123"), TypeError, "perm"),
    "2-D perm": (lambda: shuffle_patches(IMG, 2, [[0, 1]]), ValueError, "1 维"),
    "perm with a repeat": (lambda: shuffle_patches(IMG, 2, [0] * 16), ValueError, "排列"),
    "unpatchify wrong count": (
        lambda: unpatchify(torch.zeros(1, 5, 4), 2, 1, 8),
        ValueError,
        "与 patch_size=2、channels=1、height=8 不符",
    ),
    "unpatchify patch 0": (
        lambda: unpatchify(torch.zeros(1, 16, 4), 0, 1, 8),
        ValueError,
        "正整数",
    ),
    "ViT negative d_model": (lambda: ViT(d_model=-1), ValueError, "d_model 必须是正整数"),
    "ViT negative layers": (lambda: ViT(num_layers=-1), ValueError, "num_layers（层数）"),
    "ViT negative channels": (lambda: ViT(in_channels=-1), ValueError, "in_channels"),
    "ViT nan init": (lambda: ViT(pos_init_std=float("nan")), ValueError, "pos_init_std"),
    "ViT too many patches": (
        lambda: ViT(image_size=1024, patch_size=1),
        ValueError,
        "块太多了",
    ),
    "linear negative channels": (lambda: PatchLinearEmbedding(-1, 2, 4), ValueError, "in_channels"),
    "confusion float classes": (lambda: confusion_matrix([1.5], [1]), TypeError, "y_true"),
    "confusion strings": (lambda: confusion_matrix("ab", "ab"), TypeError, "y_true"),
    "confusion 0 classes": (
        lambda: confusion_matrix([0], [0], num_classes=0),
        ValueError,
        "num_classes",
    ),
    "similarity nan": (
        lambda: position_similarity(torch.full((5, 4), float("nan"))),
        ValueError,
        "pos（位置向量）含有 NaN",
    ),
    "similarity overflow": (
        lambda: position_similarity(torch.full((5, 4), 1e300, dtype=torch.float64)),
        ValueError,
        "溢出",
    ),
    "neighbours grid 1": (lambda: neighbour_similarity(torch.ones(1, 1), 1), ValueError, "grid"),
    "neighbours grid a string": (
        lambda: neighbour_similarity(torch.ones(1, 1), "2"),
        ValueError,
        "grid",
    ),
    "parameter count negative": (
        lambda: vit_parameter_count(
            image_size=-8,
            patch_size=2,
            in_channels=1,
            d_model=4,
            num_layers=1,
            d_ff=4,
            num_classes=2,
        ),  # fmt: skip
        ValueError,
        "image_size（图像边长）必须是正整数",
    ),
    "split of 2 test images": (
        lambda: load_digits_split(test_size=0.001),
        ValueError,
        "至少有 10 张",
    ),
    "split seed 2**40": (lambda: load_digits_split(seed=2**40), ValueError, "2**32"),
    "train unknown setting": (lambda: train_vit(epochz=3), ValueError, "未知的参数：'epochz'"),
    "train warmup 2": (lambda: train_vit(warmup=2.0), ValueError, "warmup"),
    "train label smoothing 2": (
        lambda: train_vit(label_smoothing=2.0),
        ValueError,
        "label_smoothing",
    ),
    "train 10**9 epochs": (lambda: train_vit(epochs=10**9), ValueError, "epochs 必须是 1 到 1000"),
    "train split a number": (lambda: train_vit(5), TypeError, "DigitsSplit"),
    "train shift 100": (lambda: train_vit(max_shift=100), ValueError, "max_shift"),
    "1-nn of a number": (lambda: nearest_neighbour_predict(5), TypeError, "DigitsSplit"),
    "count a number": (lambda: count_parameters(5), TypeError, "Module"),
    "drop with a list generator": (
        lambda: drop_patches(torch.zeros(1, 5, 4), 2, generator=[1]),
        TypeError,
        "generator",
    ),
}


@pytest.mark.parametrize("call, error, fragment", VIT_OTHER_BAD.values(), ids=VIT_OTHER_BAD.keys())
def test_bad_settings_are_refused_in_chinese(call, error, fragment):
    threads = torch.get_num_threads()
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call()
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300
    assert torch.get_num_threads() == threads


def test_the_split_checks_its_sizes_before_loading_the_data():
    from sklearn.datasets import load_digits

    assert len(load_digits().target) == NUM_DIGITS  # what the check counts with
    assert len(load_digits_split(test_size=0.01).y_test) == math.ceil(0.01 * NUM_DIGITS) == 18
