"""Checks of the whole model (``GPT2``) and of loading Hugging Face weights (``load_hf_state_dict``)."""

import torch
import torch.nn as nn

from .. import GPT2 as ReferenceGPT2
from .. import PostLNBlock, PreLNBlock
from .. import load_hf_state_dict as reference_load
from . import sections as S
from .compare import StudentCodeError, describe_difference
from .components import compare_cases
from .harness import Case, build, forward, graded, repeatable, small_config
from .i18n import _, lazy


def _tokens(B, T, vocab):
    return lambda g: torch.randint(vocab, (B, T), generator=g)


TWO_LAYERS = small_config(8, 2, n_layer=2, vocab_size=50, n_positions=16)
CASES = {
    "visible": [
        Case(lazy("Pre-LN, 2 layers, n_embd=8, tokens (2, 7)"), (TWO_LAYERS, "pre"), _tokens(2, 7, 50)),
        Case(lazy("Pre-LN, 3 layers, n_embd=12, a full context of 16 tokens"),
             (small_config(12, 3, n_layer=3, vocab_size=40, n_positions=16), "pre"), _tokens(1, 16, 40)),
        Case(lazy("Post-LN, 2 layers, n_embd=8, tokens (2, 7)"), (TWO_LAYERS, "post"), _tokens(2, 7, 50)),
        Case(lazy("training mode, dropout=0.3, Pre-LN, tokens (2, 7)"),
             (small_config(8, 2, n_layer=2, vocab_size=50, n_positions=16, dropout=0.3), "pre"), _tokens(2, 7, 50),
             train=True),
    ],
    "hidden": [
        Case(lazy("Pre-LN, one token"), (TWO_LAYERS, "pre"), _tokens(3, 1, 50)),
        Case(lazy("Post-LN, 3 layers, n_embd=12"),
             (small_config(12, 4, n_layer=3, vocab_size=30, n_positions=16), "post"),
             _tokens(2, 9, 30)),
        Case(lazy("float64, Pre-LN"), (TWO_LAYERS, "pre"), _tokens(2, 5, 50), torch.float64),
        Case(lazy("layer_norm_epsilon=0.5, Pre-LN"),
             (small_config(8, 2, n_layer=2, vocab_size=50, n_positions=16, layer_norm_epsilon=0.5), "pre"),
             _tokens(2, 5, 50)),
    ],
}


@graded(lazy("GPT2: forward"), S.GPT2_MODEL)
def gpt2_forward(GPT2):
    return compare_cases("gpt2", GPT2, CASES["visible"], gradients=False)


@graded(lazy("GPT2: gradients"), S.GPT2_MODEL)
def gpt2_gradients(GPT2):
    return compare_cases("gpt2", GPT2, CASES["visible"], gradients=True)


@graded(lazy("GPT2: more shapes and float64"), S.GPT2_MODEL)
def gpt2_hidden(GPT2):
    return compare_cases("gpt2", GPT2, CASES["hidden"], gradients=True)


@graded(lazy("GPT2: properties"), S.GPT2_MODEL)
def gpt2_properties(GPT2):
    cfg = small_config(8, 2, n_layer=3, vocab_size=50, n_positions=16, dropout=0.3)
    model = build(GPT2, cfg)
    for name in ("wte", "wpe", "drop", "h", "ln_f", "lm_head"):
        assert hasattr(model, name), _("Your GPT2 has no attribute `{name}` (the checkpoint's names: wte, wpe, drop, "
                                       "h, ln_f, lm_head). See {section}.").format(name=name, section=S.GPT2_MODEL)
    assert isinstance(model.h, nn.ModuleList) and len(model.h) == 3, (
        _("`h` must be an nn.ModuleList of cfg.n_layer blocks (3 here), got {name} of {value}.").format(
            name=type(model.h).__name__, value=len(model.h) if hasattr(model.h, '__len__') else '?'))
    assert all(isinstance(b, PreLNBlock) for b in model.h), _("GPT2(cfg) (norm='pre') must be built of PreLNBlock.")
    assert model.lm_head.weight is model.wte.weight, (
        _("lm_head must be tied to the token embedding: its weight must be wte's weight, the same Parameter object "
          "(one matrix reads and writes tokens). See {section}.").format(section=S.GPT2_MODEL))
    post = build(GPT2, cfg, "post")
    assert all(isinstance(b, PostLNBlock) for b in post.h), _("GPT2(cfg, norm='post') must be built of PostLNBlock.")
    assert isinstance(post.ln_f, nn.Identity), (
        _("With norm='post' every block already ends in a LayerNorm, so `ln_f` must be nn.Identity()."))
    model.eval()
    idx = torch.randint(50, (2, 10))
    logits = repeatable(model, idx, what="GPT2")
    assert logits.shape == (2, 10, 50), _("GPT2 returns logits of shape (B, T, vocab_size) = (2, 10, 50), got "
                                          "{shape}.").format(
        shape=tuple(logits.shape))
    idx2 = idx.clone()
    idx2[:, 6:] = (idx2[:, 6:] + 1) % 50
    logits2 = forward(model, idx2, what="GPT2")
    assert torch.allclose(logits[:, :6], logits2[:, :6], atol=1e-5), (
        _("Changing tokens 6..9 changed the logits at positions 0..5: the model must be causal."))
    _embedding_dropout(model, idx, cfg)
    return _("names, n_layer blocks, tied lm_head, Post-LN layout, logits shape, causal, drop on the embeddings")


def _embedding_dropout(model, idx, cfg):
    """With drop.p = 1 (every other dropout off) in training mode the blocks see zeros: every position alike."""
    assert isinstance(model.drop, nn.Dropout) and model.drop.p == cfg.dropout, (
        _("`drop` must be `nn.Dropout(cfg.dropout)`: built with dropout={dropout}, yours is {drop!r}. See "
          "{section}.").format(
            dropout=cfg.dropout, drop=model.drop, section=S.GPT2_MODEL))
    model.train()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    model.drop.p = 1.0
    logits = forward(model, idx, what="GPT2")
    with torch.no_grad():  # what the model's own blocks, ln_f and lm_head make of zero embeddings
        x = torch.zeros(*idx.shape, cfg.n_embd)
        for block in model.h:
            x = block(x)
        expected, skipped = model.lm_head(model.ln_f(x)), model.lm_head(x)
    assert torch.allclose(logits, expected, atol=1e-5) or not torch.allclose(logits, skipped, atol=1e-5), (
        _("Your logits are lm_head of the last block's output: ln_f is never applied. GPT-2 normalises the stream "
          "once, after the last block and before lm_head. See {section}.").format(section=S.GPT2_MODEL))
    assert torch.allclose(logits, expected, atol=1e-5), (
        _("With drop.p = 1 in training mode every embedding is zeroed, so the blocks see only zeros; your logits are "
          "not what your own blocks, ln_f and lm_head make of zeros. Apply `drop` to the sum of the two embeddings, "
          "before the first block: x = drop(wte(idx) + wpe(positions)). See {section}.").format(section=S.GPT2_MODEL))
    model.eval()


# --------------------------------------------------------------------------- Hugging Face weights


def _hf_model(seed: int, n_layer=2, n_embd=16, n_head=4, vocab_size=64, n_positions=32):
    """A random ``GPT2LMHeadModel``: what the released checkpoint is, offline. LayerNorms perturbed."""
    from transformers import GPT2Config, GPT2LMHeadModel
    from transformers.utils import logging

    logging.set_verbosity_error()
    torch.manual_seed(seed)
    config = GPT2Config(n_layer=n_layer, n_embd=n_embd, n_head=n_head, vocab_size=vocab_size, n_positions=n_positions,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or ".ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


def _cfg_of(hf):
    c = hf.config
    return small_config(c.n_embd, c.n_head, n_layer=c.n_layer, vocab_size=c.vocab_size, n_positions=c.n_positions)


def _student_load(load_hf_state_dict, model, state_dict):
    try:
        returned = load_hf_state_dict(model, state_dict)
    except Exception as err:  # noqa: BLE001
        hint = ""
        if "size" in str(err) or "shape" in str(err):
            hint = _(" A shape mismatch usually means a Conv1D weight was not transposed: Hugging Face stores "
                     "c_attn, c_proj and c_fc as (in_features, out_features), nn.Linear as (out, in). See {section}."
                     ).format(section=S.HF_WEIGHTS)
        raise StudentCodeError(f"{type(err).__name__}: {err}.{hint}") from err
    assert returned is model, _("load_hf_state_dict(model, state_dict) must return the model it loaded into.")
    return model


def _compare_loaded(loaded: nn.Module, expected: nn.Module, initial: dict):
    for name, want in expected.state_dict().items():
        got = loaded.state_dict()[name]
        if torch.allclose(got, want):
            continue
        if got.shape == want.t().shape and torch.allclose(got, want.t()) if want.dim() == 2 else False:
            raise AssertionError(
                _("`{name}` holds the checkpoint's matrix as it is, where nn.Linear needs its transpose. Hugging "
                  "Face keeps c_attn, c_proj and "
                  "c_fc as Conv1D layers, whose weight is (in_features, out_features): transpose *every* one of "
                  "them into nn.Linear, square ones (attn.c_proj) included, by name rather than by shape. See "
                  "{section}.").format(
                      name=name, section=S.HF_WEIGHTS))
        if torch.equal(got, initial[name]):
            raise AssertionError(_("`{name}` was not loaded: it still holds its initial value. Copy every tensor of "
                                   "the state dict (the names start with 'transformer.'). See {section}.").format(
                                       name=name, section=S.HF_WEIGHTS))
        raise AssertionError(_("`{name}` has the wrong values after loading: {describe_difference}. See "
                               "{section}.").format(
            name=name, describe_difference=describe_difference(got, want), section=S.HF_WEIGHTS))


def _check_loader(load_hf_state_dict, hf):
    cfg = _cfg_of(hf)
    torch.manual_seed(1)
    mine = ReferenceGPT2(cfg)
    initial = {k: v.clone() for k, v in mine.state_dict().items()}
    _student_load(load_hf_state_dict, mine, hf.state_dict())
    expected = reference_load(ReferenceGPT2(cfg), hf.state_dict())
    _compare_loaded(mine, expected, initial)
    assert mine.lm_head.weight is mine.wte.weight, (
        _("After loading, lm_head must still be tied to wte (copy values into the existing tensors, e.g. with "
          "`param.copy_(...)` under torch.no_grad(), instead of replacing the Parameter objects). See "
          "{section}.").format(
              section=S.HF_WEIGHTS))


@graded(lazy("load_hf_state_dict: weights"), S.HF_WEIGHTS)
def load_hf_weights(load_hf_state_dict):
    _check_loader(load_hf_state_dict, _hf_model(0))
    return _("every tensor of a random GPT2LMHeadModel lands in the right place, Conv1D weights transposed")


def _logits_match(GPT2, load_hf_state_dict, hf, T):
    cfg = _cfg_of(hf)
    model = build(GPT2, cfg)
    _student_load(load_hf_state_dict, model, hf.state_dict())
    model.eval()
    g = torch.Generator().manual_seed(2)
    idx = torch.randint(cfg.vocab_size, (2, T), generator=g)
    with torch.no_grad():
        expected = hf(idx).logits
        logits = forward(model, idx, what="GPT2")
    assert logits.shape == expected.shape, _("logits of shape {shape}, expected {shape2}.").format(
        shape=tuple(logits.shape), shape2=tuple(expected.shape))
    assert torch.allclose(logits, expected, atol=1e-4, rtol=1e-4), (
        _("Your GPT2 with the loaded weights gives different logits from Hugging Face's GPT2LMHeadModel: "
          "{describe_difference}. If the weights check above passes, look at GPT2.forward; if not, fix the loader "
          "first. See {section}.").format(
              describe_difference=describe_difference(logits, expected), section=S.HF_WEIGHTS))


@graded(lazy("GPT2 + load_hf_state_dict: logits equal Hugging Face's"), S.HF_WEIGHTS)
def load_hf_logits(GPT2, load_hf_state_dict):
    _logits_match(GPT2, load_hf_state_dict, _hf_model(0), T=11)
    return _("same logits as transformers.GPT2LMHeadModel on the same weights")


@graded(lazy("load_hf_state_dict: another configuration"), S.HF_WEIGHTS)
def load_hf_hidden(GPT2, load_hf_state_dict):
    hf = _hf_model(3, n_layer=3, n_embd=24, n_head=6, vocab_size=97, n_positions=20)
    _check_loader(load_hf_state_dict, hf)
    _logits_match(GPT2, load_hf_state_dict, hf, T=20)
    return _("weights and logits match on a 3-layer, 6-head model over a full context")
