"""Submissions of 01_layernorm."""

from nbgrader_helpers import Submission

VAR = "var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # (..., 1), biased"
NORMALISE = "return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias"
WEIGHT = "self.weight = nn.Parameter(torch.ones(n_embd))"
BIAS = "self.bias = nn.Parameter(torch.zeros(n_embd))"
MLP_OUT = "return self.dropout(self.c_proj(gelu(self.c_fc(x))))"
GELU = "return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))"

WRONG = {
    "unbiased_variance": Submission(
        patches={"layernorm": [(VAR, "var = x.var(dim=-1, keepdim=True)")]},
        expect="unbiased variance"),
    "eps_outside_sqrt": Submission(
        patches={"layernorm": [(NORMALISE, "return (x - mean) / (var.sqrt() + self.eps) * self.weight + self.bias")]},
        expect="adds eps outside the square root"),
    "layernorm_no_grad_statistics": Submission(
        patches={"layernorm": [("mean = x.mean(dim=-1, keepdim=True)  # (..., 1)",
                                "with torch.no_grad():\n            mean = x.mean(dim=-1, keepdim=True)\n"
                                "            var = (x - mean).pow(2).mean(dim=-1, keepdim=True)"),
                               (VAR, "")]},
        expect="mean and variance are detached from the graph"),
    "exact_gelu": Submission(
        patches={"gelu": [(GELU, "return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))")]},
        expect="exact GELU"),
    # issue 12: weight/bias that are not parameters, a library call, dropout in the wrong place, config fields ignored
    "layernorm_plain_tensors": Submission(
        patches={"layernorm": [(WEIGHT, "self.weight = torch.ones(n_embd)"),
                               (BIAS, "self.bias = torch.zeros(n_embd)")]},
        expect="but as plain tensors, not nn.Parameter"),
    "layernorm_buffers": Submission(
        patches={"layernorm": [(WEIGHT, 'self.register_buffer("weight", torch.ones(n_embd))'),
                               (BIAS, 'self.register_buffer("bias", torch.zeros(n_embd))')]},
        expect="but as plain tensors, not nn.Parameter"),
    "layernorm_calls_f_layer_norm": Submission(
        patches={"layernorm": [(NORMALISE, "return F.layer_norm(x, x.shape[-1:], self.weight, self.bias, self.eps)")]},
        expect="calls PyTorch's own layer norm"),
    "layernorm_calls_torch_layer_norm": Submission(
        patches={"layernorm": [(NORMALISE, "return torch.layer_norm(x, (x.size(-1),), self.weight, self.bias, "
                                           "self.eps)")]},
        expect="calls PyTorch's own layer norm"),
    "mlp_dropout_before_c_proj": Submission(
        patches={"mlp": [(MLP_OUT, "return self.c_proj(self.dropout(gelu(self.c_fc(x))))")]},
        expect="applies dropout before c_proj"),
    "mlp_functional_dropout_on_hidden": Submission(
        patches={"mlp": [(MLP_OUT, "h = F.dropout(gelu(self.c_fc(x)), self.dropout.p, self.training)\n"
                                   "        return self.c_proj(h)")]},
        expect="applies dropout before c_proj"),
    "mlp_functional_dropout_in_eval": Submission(
        patches={"mlp": [(MLP_OUT, "return F.dropout(self.c_proj(gelu(self.c_fc(x))), self.dropout.p)")]},
        expect="gives different outputs for the same input in eval mode"),
    "mlp_dropout_never_applied": Submission(
        patches={"mlp": [(MLP_OUT, "return self.c_proj(gelu(self.c_fc(x)))")]},
        expect="never applies"),
    "mlp_dropout_hard_coded": Submission(
        patches={"mlp": [("nn.Dropout(cfg.dropout)", "nn.Dropout(0.1)")]},
        expect="ignores cfg.dropout"),
    "mlp_dropout_default_p": Submission(
        patches={"mlp": [("nn.Dropout(cfg.dropout)", "nn.Dropout()")]},
        expect="ignores cfg.dropout"),
    "mlp_ignores_bias": Submission(
        patches={"mlp": [(", bias=cfg.bias)", ")")]},
        expect="ignores cfg.bias"),
    "mlp_returns_a_tuple": Submission(
        patches={"mlp": [(MLP_OUT, "return self.dropout(self.c_proj(gelu(self.c_fc(x)))), None")]},
        expect="returned a tuple"),
    "mlp_misnamed_layers": Submission(
        patches={"mlp": [("self.c_fc = ", "self.fc = "), ("self.c_fc(x)", "self.fc(x)")]},
        expect="no attribute `c_fc`"),
}

RIGHT = {
    "library_calls": Submission(
        answers={
            "layernorm": '''
class LayerNorm(nn.Module):
    def __init__(self, n_embd, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_embd))
        self.bias = nn.Parameter(torch.zeros(n_embd))

    def forward(self, x):
        var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias
''',
            "gelu": "def gelu(x):\n    return F.gelu(x, approximate='tanh')\n",
        },
        note="var_mean + rsqrt; F.gelu(approximate='tanh')"),
    "mean_of_squares_one_liners": Submission(
        answers={
            "layernorm": '''
class LayerNorm(nn.Module):
    def __init__(self, n_embd, eps=1e-5):
        super().__init__()
        self.eps, self.weight, self.bias = eps, nn.Parameter(torch.ones(n_embd)), nn.Parameter(torch.zeros(n_embd))

    def forward(self, x):
        centred = x - x.mean(-1, keepdim=True)
        return self.weight * centred / (centred.square().mean(-1, keepdim=True) + self.eps).sqrt() + self.bias
''',
            "gelu": "gelu = lambda x: x * 0.5 * (1 + torch.tanh((2 / math.pi) ** 0.5 * (x + 0.044715 * x ** 3)))\n",
            "mlp": '''
class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, b = cfg.n_embd, cfg.bias
        self.c_fc, self.c_proj = nn.Linear(d, 4 * d, bias=b), nn.Linear(4 * d, d, bias=b)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(gelu(self.c_fc(x))))
''',
        },
        note="mean of squared deviations, one-liners"),
    "variance_formula": Submission(
        patches={"layernorm": [(VAR, "var = x.pow(2).mean(dim=-1, keepdim=True) - mean.pow(2)")]},
        note="E[x^2] - E[x]^2"),
}
