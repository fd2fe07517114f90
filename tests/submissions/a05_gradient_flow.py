"""Submissions of 05_gradient_flow."""

from nbgrader_helpers import Submission

WRONG = {
    "whole_block_gradient": Submission(
        patches={"gradient_norms": [
            ("return [block.mlp.c_proj.weight.grad.norm().item() for block in model.h]",
             "return [torch.cat([p.grad.flatten() for p in block.parameters()]).norm().item() for block in model.h]")]},
        expect="*all* of block l's parameters"),
    "hidden_not_divided_by_n_embd": Submission(
        patches={"hidden_norms": [("x.pow(2).sum(-1).mean().item() / x.shape[-1]]",
                                   "x.pow(2).sum(-1).mean().item()]"),
                                  ("sizes.append(x.pow(2).sum(-1).mean().item() / x.shape[-1])",
                                   "sizes.append(x.pow(2).sum(-1).mean().item())")]},
        expect="not divided by n_embd"),
}

RIGHT = {
    "hooks_and_autograd_grad": Submission(
        answers={
            "gradient_norms": '''
def layer_gradient_norms(model, idx, targets):
    weights = [block.mlp.c_proj.weight for block in model.h]
    grads = torch.autograd.grad(lm_loss(model(idx), targets), weights)
    return [float(torch.linalg.matrix_norm(g)) for g in grads]
''',
            "hidden_norms": '''
def hidden_state_norms(model, idx):
    sizes = []
    record = lambda module, inputs, output: sizes.append((output ** 2).mean().item())
    hooks = [model.drop.register_forward_hook(record)] + [b.register_forward_hook(record) for b in model.h]
    with torch.no_grad():
        model(idx)
    for hook in hooks:
        hook.remove()
    return sizes
'''},
        note="torch.autograd.grad; forward hooks and a mean over every element"),
}
