"""Submissions of 01_layernorm."""

from nbgrader_helpers import Submission

VAR = "var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # (..., 1), biased"
NORMALISE = "return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias"
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
        self.c_fc, self.c_proj = nn.Linear(cfg.n_embd, 4 * cfg.n_embd), nn.Linear(4 * cfg.n_embd, cfg.n_embd)
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
