"""Submissions of 02_attention."""

from nbgrader_helpers import Submission

MASK = "causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()"
SCALE = "scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, nh, T, T)"
WEIGHTS = "weights = self.attn_dropout(F.softmax(scores, dim=-1))"
FILL = 'scores = scores.masked_fill(~causal, float("-inf"))'
SPLIT = "q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hd)"

WRONG = {
    "no_causal_mask": Submission(
        patches={"attention": [(MASK, "causal = torch.ones(T, T, dtype=torch.bool, device=x.device)")]},
        expect="is not causal"),
    "mask_off_by_one": Submission(
        patches={"attention": [(MASK, "causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril(-1)")]},
        expect="off by one"),
    "scale_by_n_embd": Submission(
        patches={"attention": [(SCALE, "scores = q @ k.transpose(-2, -1) / math.sqrt(C)")]},
        expect="1/sqrt(n_embd)"),
    "softmax_over_queries": Submission(
        patches={"attention": [("F.softmax(scores, dim=-1)", "F.softmax(scores, dim=-2)")]},
        expect="softmax runs over the queries"),
    "heads_without_transpose": Submission(
        patches={"attention": [
            (SPLIT, "q, k, v = (t.reshape(B, self.n_head, T, C // self.n_head) for t in (q, k, v))"),
            ("y = (weights @ v).transpose(1, 2).reshape(B, T, C)", "y = (weights @ v).reshape(B, T, C)")]},
        expect="split the heads without the transpose"),
    # issue 12: dropout where GPT-2 does not put it, config fields ignored, extra return values
    "attn_dropout_never_applied": Submission(
        patches={"attention": [(WEIGHTS, "weights = F.softmax(scores, dim=-1)")]},
        expect="never applies attn_dropout"),
    "attn_dropout_on_masked_scores": Submission(
        patches={"attention": [(FILL, 'scores = self.attn_dropout(scores.masked_fill(~causal, float("-inf")))'),
                               (WEIGHTS, "weights = F.softmax(scores, dim=-1)")]},
        expect="applies attn_dropout to the masked scores before the softmax"),
    "attn_dropout_on_scores_before_mask": Submission(
        patches={"attention": [(FILL, 'scores = self.attn_dropout(scores).masked_fill(~causal, float("-inf"))'),
                               (WEIGHTS, "weights = F.softmax(scores, dim=-1)")]},
        expect="attn_dropout acts on the attention weights"),
    "sdpa_without_dropout": Submission(
        patches={"attention": [(WEIGHTS + "\n        y = (weights @ v)",
                                "y = F.scaled_dot_product_attention(q, k, v, is_causal=True)")]},
        expect="never applies attn_dropout"),
    "resid_dropout_never_applied": Submission(
        patches={"attention": [("return self.resid_dropout(self.c_proj(y))", "return self.c_proj(y)")]},
        expect="never applies resid_dropout"),
    "dropout_hard_coded": Submission(
        patches={"attention": [("self.attn_dropout = nn.Dropout(cfg.dropout)", "self.attn_dropout = nn.Dropout(0.1)")]},
        expect="ignores cfg.dropout"),
    "ignores_bias": Submission(
        patches={"attention": [("3 * cfg.n_embd, bias=cfg.bias)", "3 * cfg.n_embd)"),
                               ("nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)",
                                "nn.Linear(cfg.n_embd, cfg.n_embd)")]},
        expect="ignores cfg.bias"),
    "returns_the_weights_too": Submission(
        patches={"attention": [("return self.resid_dropout(self.c_proj(y))",
                                "return self.resid_dropout(self.c_proj(y)), weights")]},
        expect="returned a tuple"),
}

RIGHT = {
    "sdpa": Submission(
        answers={"attention": '''
class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.attn_dropout = nn.Dropout(cfg.dropout)
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = [t.view(B, T, self.n_head, -1).transpose(1, 2) for t in (q, k, v)]
        p = self.attn_dropout.p if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))
'''},
        note="F.scaled_dot_product_attention, as nanoGPT writes it"),
    "einsum_separate_heads_large_negative": Submission(
        answers={"attention": '''
class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head, self.head_dim = cfg.n_head, cfg.n_embd // cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.attn_dropout = nn.Dropout(cfg.dropout)
        self.resid_dropout = nn.Dropout(cfg.dropout)
        self.register_buffer("mask", torch.tril(torch.ones(1024, 1024)).bool(), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = torch.chunk(self.c_attn(x), 3, dim=-1)
        q = q.unflatten(-1, (self.n_head, self.head_dim))  # (B, T, nh, hd)
        k = k.unflatten(-1, (self.n_head, self.head_dim))
        v = v.unflatten(-1, (self.n_head, self.head_dim))
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) * self.head_dim ** -0.5
        scores = scores.masked_fill(self.mask[:T, :T] == 0, -1e9)
        weights = self.attn_dropout(scores.softmax(dim=-1))
        y = torch.einsum("bhqk,bkhd->bqhd", weights, v).flatten(2)
        return self.resid_dropout(self.c_proj(y))
'''},
        note="einsum, chunk, a -1e9 mask from a registered buffer"),
    "separate_matmuls_per_head": Submission(
        answers={"attention": '''
class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.attn_dropout = nn.Dropout(cfg.dropout)
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        B, T, C = x.shape
        hd = C // self.n_head
        qkv = self.c_attn(x)
        heads = []
        for h in range(self.n_head):  # one head at a time
            q = qkv[..., h * hd:(h + 1) * hd]
            k = qkv[..., C + h * hd:C + (h + 1) * hd]
            v = qkv[..., 2 * C + h * hd:2 * C + (h + 1) * hd]
            att = torch.bmm(q, k.transpose(1, 2)) / hd ** 0.5
            att = att + torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
            heads.append(torch.bmm(self.attn_dropout(torch.softmax(att, -1)), v))
        return self.resid_dropout(self.c_proj(torch.cat(heads, dim=-1)))
'''},
        note="a loop over heads, an additive -inf mask"),
}
