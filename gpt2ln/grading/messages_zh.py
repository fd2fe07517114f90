# ruff: noqa: E501 (a catalog: one Chinese message a line, CJK characters count twice)
"""The Chinese (zh_CN) of every message of the grading library, keyed by its English template.

:func:`gpt2ln.grading.i18n._` looks a template up here when ``GPT2LN_LANG`` is ``zh``. The
terms are those of ``book/locales/zh_CN/terms.toml`` (误区一, 残差流, 捷径, 恒等路径...);
code, names, numbers and formulas stay as they are. ``tests/test_grading_i18n.py`` fails on
a template of the source with no entry here, an entry no template uses any more, or an
entry whose placeholders differ from its template's.
"""

MESSAGES = {
    # --- gpt2ln/grading/mistakes.py: the library of known mistakes
    "{title}. {explanation} See {section}.": "{title}。{explanation}参见{section}。",
    "{misconception}: {title}. {explanation} See {section}.": "{misconception}：{title}。{explanation}参见{section}。",
    "Misconception 1": "误区一",
    "Misconception 2": "误区二",
    "Misconception 3": "误区三",
    "statistics": "统计量",
    "mean": "均值",
    "variance": "方差",
    "The forward pass is right, but no gradient flows through the {part} (computed under torch.no_grad() or with "
    ".detach()), so the input's gradient is wrong.":
        "前向传播是对的，但梯度不经过{part}（它是在 torch.no_grad() 下或用 .detach() 算出的），所以输入的梯度是错的。",
    "Your LayerNorm uses the unbiased variance (divides by n - 1)": "你的 LayerNorm 用的是无偏方差（除以 n - 1）",
    "LayerNorm divides the summed squares by n, the number of features (`unbiased=False`); with n - 1 every output is "
    "scaled by sqrt((n-1)/n), which matters for small n_embd.":
        "层归一化把平方和除以特征数 n（`unbiased=False`）；除以 n - 1 会让每个输出都乘上 sqrt((n-1)/n)，"
        "n_embd 较小时差别明显。",
    "Your LayerNorm adds eps outside the square root": "你的 LayerNorm 把 eps 加在了平方根之外",
    "The denominator is sqrt(var + eps), not sqrt(var) + eps. The two differ most on rows whose variance is close to "
    "eps: exactly the rows eps is there to protect.":
        "分母是 sqrt(var + eps)，而不是 sqrt(var) + eps。两者在方差接近 eps 的行上相差最大，而这些行恰恰是 eps 要保护的。",
    "Your LayerNorm has no eps in the denominator": "你的 LayerNorm 的分母里没有 eps",
    "Without eps a row of (nearly) constant values is divided by (nearly) zero. Use sqrt(var + eps).":
        "没有 eps，一行（几乎）恒定的值就会除以（几乎）为零的数。请用 sqrt(var + eps)。",
    "Your LayerNorm divides by the variance instead of the standard deviation": "你的 LayerNorm 除以的是方差而不是标准差",
    "Normalise by sqrt(var + eps): dividing by var + eps does not give unit variance.":
        "应除以 sqrt(var + eps)：除以 var + eps 得不到单位方差。",
    "Your LayerNorm ignores the eps it is given": "你的 LayerNorm 忽略了传给它的 eps",
    "Use the `eps` argument of the constructor (GPT-2 configs pass `layer_norm_epsilon`), not a hard-coded 1e-5.":
        "请使用构造函数的 `eps` 参数（GPT-2 的配置传入的是 `layer_norm_epsilon`），不要写死 1e-5。",
    "Your LayerNorm takes its mean and variance over the whole tensor": "你的 LayerNorm 在整个张量上求均值和方差",
    "LayerNorm normalises each token's vector on its own: reduce over the last dimension only (`dim=-1, "
    "keepdim=True`).":
        "层归一化对每个 token 的向量单独做归一化：只在最后一维上求统计量（`dim=-1, keepdim=True`）。",
    "Your LayerNorm takes its statistics over the batch dimension": "你的 LayerNorm 在批量维度上求统计量",
    "That is BatchNorm's axis. LayerNorm reduces over the last dimension (`dim=-1`).":
        "那是 BatchNorm 的轴。层归一化在最后一维上求统计量（`dim=-1`）。",
    "Your LayerNorm forgets the gain and the bias": "你的 LayerNorm 漏掉了增益与偏置",
    "After normalising, multiply by `weight` and add `bias`: they let the model undo the normalisation where it needs "
    "to.": "归一化之后乘以 `weight` 再加上 `bias`：有了它们，模型在需要时可以撤销归一化。",
    "Your LayerNorm swaps the gain and the bias": "你的 LayerNorm 把增益与偏置弄反了",
    "Multiply by `weight` (initialised to ones) and add `bias` (initialised to zeros).":
        "乘以 `weight`（初始化为 1），加上 `bias`（初始化为 0）。",
    "Your LayerNorm adds the bias before multiplying by the gain": "你的 LayerNorm 先加偏置再乘增益",
    "The affine step is x_hat * weight + bias.": "仿射变换一步是 x_hat * weight + bias。",
    "Your LayerNorm's mean and variance are detached from the graph": "你的 LayerNorm 的均值和方差脱离了计算图",
    "Your LayerNorm's mean is detached from the graph": "你的 LayerNorm 的均值脱离了计算图",
    "Your LayerNorm's variance is detached from the graph": "你的 LayerNorm 的方差脱离了计算图",
    "Your LayerNorm runs under torch.no_grad() (or detaches its output)":
        "你的 LayerNorm 在 torch.no_grad() 下运行（或对输出调用了 detach）",
    "Its forward pass is right but nothing upstream, its own gain and bias included, gets a gradient: the network "
    "could not learn.": "它的前向传播是对的，但上游的一切（包括它自己的增益与偏置）都得不到梯度：网络无法学习。",
    "You used the exact GELU (with erf) instead of the tanh approximation": "你用的是精确 GELU（含 erf），而不是 tanh 近似",
    "GPT-2 was trained with 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The exact x * Phi(x) differs by up to "
    "about 5e-4, enough that pretrained logits no longer match: write the tanh formula, or ask PyTorch's GELU for its tanh "
    "approximation.":
        "GPT-2 训练时用的是 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))。精确的 x * Phi(x) 与它最多相差约 5e-4，"
        "足以让预训练模型的 logits 对不上：请写出 tanh 公式，或让 PyTorch 的 GELU 使用 tanh 近似。",
    "You used the sigmoid approximation x * sigmoid(1.702 x)": "你用的是 sigmoid 近似 x * sigmoid(1.702 x)",
    "GPT-2 uses the tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).":
        "GPT-2 用的是 tanh 近似：0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))。",
    "You used ReLU": "你用的是 ReLU",
    "GPT-2's MLP uses the tanh approximation of GELU.": "GPT-2 的 MLP 用的是 GELU 的 tanh 近似。",
    "Your GELU is missing the factor 0.5": "你的 GELU 少了系数 0.5",
    "0.5 x (1 + tanh(...)): without the 0.5 the output is twice too large.":
        "0.5 x (1 + tanh(...))：少了 0.5，输出就大了一倍。",
    "Your GELU has the wrong constant inside tanh": "你的 GELU 在 tanh 里的常数不对",
    "The constant is sqrt(2 / pi) (about 0.798), not sqrt(2) / pi.": "这个常数是 sqrt(2 / pi)（约 0.798），不是 sqrt(2) / pi。",
    "Your GELU is missing the cubic term": "你的 GELU 少了三次项",
    "The argument of tanh is sqrt(2/pi) (x + 0.044715 x^3).": "tanh 的自变量是 sqrt(2/pi) (x + 0.044715 x^3)。",
    "Your MLP uses the exact GELU": "你的 MLP 用的是精确 GELU",
    "Use the tanh approximation (the `gelu` above).": "请用 tanh 近似（即上面的 `gelu`）。",
    "Your MLP uses ReLU": "你的 MLP 用的是 ReLU",
    "GPT-2's MLP uses GELU (the tanh approximation).": "GPT-2 的 MLP 用的是 GELU（tanh 近似）。",
    "Your MLP has no activation between c_fc and c_proj": "你的 MLP 在 c_fc 和 c_proj 之间没有激活函数",
    "Without the non-linearity the two layers collapse into one linear map: apply `gelu` to c_fc's output.":
        "没有非线性，两层就退化成一个线性映射：请对 c_fc 的输出应用 `gelu`。",
    "Your MLP applies GELU after c_proj instead of between c_fc and c_proj":
        "你的 MLP 把 GELU 放在了 c_proj 之后，而不是 c_fc 与 c_proj 之间",
    "The order is c_proj(gelu(c_fc(x))): the activation acts on the 4 n_embd wide hidden layer.":
        "顺序是 c_proj(gelu(c_fc(x)))：激活函数作用在宽为 4 n_embd 的隐藏层上。",
    "Your MLP adds its input to its output": "你的 MLP 把输入加到了输出上",
    "The residual connection belongs to the block, not to the MLP: return c_proj(gelu(c_fc(x))) only.":
        "残差连接属于块，不属于 MLP：只返回 c_proj(gelu(c_fc(x)))。",
    "Your MLP applies dropout before c_proj, to the 4 n_embd wide hidden layer":
        "你的 MLP 在 c_proj 之前、对宽为 4 n_embd 的隐藏层做了 dropout",
    "GPT-2 drops out the MLP's *output*, the branch that is added to the residual stream: "
    "dropout(c_proj(gelu(c_fc(x)))).":
        "GPT-2 对 MLP 的*输出*做 dropout，也就是要加回残差流的那条分支：dropout(c_proj(gelu(c_fc(x))))。",
    "Your MLP never applies its dropout (or builds it with p = 0, not cfg.dropout)":
        "你的 MLP 从未调用它的 dropout（或者用 p = 0 而不是 cfg.dropout 构造了它）",
    "Defining `self.dropout` is not enough: call it on c_proj's output, dropout(c_proj(gelu(c_fc(x)))). In eval() it "
    "does nothing, in training it zeroes a fraction cfg.dropout of the outputs.":
        "只定义 `self.dropout` 是不够的：要在 c_proj 的输出上调用它，dropout(c_proj(gelu(c_fc(x))))。"
        "在 eval() 下它什么也不做，训练时它把比例为 cfg.dropout 的输出置零。",
    "Your attention is not causal: every position sees the future": "你的注意力不是因果的：每个位置都能看到未来",
    "Mask the scores above the diagonal (key j > query i) before the softmax, so that position i only attends to "
    "positions 0..i.": "在 softmax 之前屏蔽对角线以上的分数（键 j > 查询 i），使位置 i 只关注位置 0..i。",
    "Your causal mask is off by one: a position cannot see itself": "你的因果掩码错了一位：位置看不到它自己",
    "Query i must attend to keys 0..i inclusive: keep the diagonal (`torch.tril(ones)`, not `tril(ones, -1)`).":
        "查询 i 必须关注键 0..i（含 i）：保留对角线（`torch.tril(ones)`，而不是 `tril(ones, -1)`）。",
    "{rule} The first position then has nothing to attend to.": "{rule}否则第一个位置就没有可以关注的键。",
    "Your causal mask is off by one: each position sees the next token": "你的因果掩码错了一位：每个位置都能看到下一个 token",
    "Query i must attend to keys 0..i only: `torch.tril(ones)`, not `tril(ones, 1)` (a language model that sees the "
    "next token learns nothing).":
        "查询 i 只能关注键 0..i：`torch.tril(ones)`，而不是 `tril(ones, 1)`（能看到下一个 token 的语言模型什么也学不到）。",
    "Your mask keeps the future and hides the past": "你的掩码保留了未来、遮住了过去",
    "Use the lower triangle (`torch.tril`): query i attends to keys j <= i.": "请用下三角（`torch.tril`）：查询 i 关注键 j <= i。",
    "You scale the scores by 1/head_dim": "你用 1/head_dim 缩放分数",
    "The scale is 1/sqrt(head_dim), head_dim = n_embd // n_head.": "缩放因子是 1/sqrt(head_dim)，head_dim = n_embd // n_head。",
    "You scale the scores by 1/sqrt(n_embd)": "你用 1/sqrt(n_embd) 缩放分数",
    "Each head computes its own dot products of length head_dim = n_embd // n_head: scale by 1/sqrt(head_dim).":
        "每个头各自计算长度为 head_dim = n_embd // n_head 的点积：请用 1/sqrt(head_dim) 缩放。",
    "Your attention scores are not scaled": "你的注意力分数没有缩放",
    "Divide q k^T by sqrt(head_dim) before the softmax, or the softmax saturates as head_dim grows.":
        "在 softmax 之前把 q k^T 除以 sqrt(head_dim)，否则 head_dim 变大时 softmax 会饱和。",
    "Your softmax runs over the queries instead of the keys": "你的 softmax 是在查询维上做的，而不是在键维上",
    "Each query's weights over the keys must sum to 1: softmax over the last dimension (`dim=-1`) of the (B, n_head, "
    "T, T) scores.": "每个查询在各个键上的权重之和必须为 1：在形状为 (B, n_head, T, T) 的分数的最后一维（`dim=-1`）上做 softmax。",
    "You split the heads without the transpose": "你拆分注意力头时没有转置",
    "(B, T, C) -> view(B, T, n_head, head_dim) -> transpose(1, 2) gives (B, n_head, T, head_dim). A direct "
    "view/reshape to (B, n_head, T, head_dim) mixes positions and features.":
        "(B, T, C) -> view(B, T, n_head, head_dim) -> transpose(1, 2) 得到 (B, n_head, T, head_dim)。"
        "直接 view/reshape 成 (B, n_head, T, head_dim) 会把位置和特征混在一起。",
    "You merge the heads without transposing back": "你合并注意力头时没有转置回来",
    "From (B, n_head, T, head_dim), transpose(1, 2) to (B, T, n_head, head_dim) before reshaping to (B, T, C).":
        "先把 (B, n_head, T, head_dim) 用 transpose(1, 2) 变成 (B, T, n_head, head_dim)，再 reshape 成 (B, T, C)。",
    "You read q and k from c_attn in the wrong order": "你从 c_attn 读取 q 和 k 的顺序不对",
    "c_attn's output is q, k, v in that order (the order of GPT-2's checkpoint): split its last dimension into three "
    "blocks of n_embd, the first is q, the second k, the third v.":
        "c_attn 的输出依次是 q、k、v（GPT-2 检查点的顺序）：把它的最后一维切成三段，每段长 n_embd，"
        "第一段是 q，第二段是 k，第三段是 v。",
    "You read q, k and v from c_attn in the wrong order": "你从 c_attn 读取 q、k、v 的顺序不对",
    "c_attn's output is q, k, v in that order: split its last dimension into three blocks of n_embd, the first is q, "
    "the second k, the third v.":
        "c_attn 的输出依次是 q、k、v：把它的最后一维切成三段，每段长 n_embd，第一段是 q，第二段是 k，第三段是 v。",
    "Your attention forgets the output projection c_proj": "你的注意力漏掉了输出投影 c_proj",
    "After merging the heads, apply `self.c_proj`.": "合并注意力头之后，再应用 `self.c_proj`。",
    "{first}; and {second}": "{first}；并且{second}",
    "{first} {second}": "{first}{second}",
    "it normalises after the residual add, ln(x + f(x)), which is the Post-LN layout":
        "它在残差相加之后才做归一化，即 ln(x + f(x))，这是 Post-LN 的结构",
    "Pre-LN (GPT-2) normalises a copy of the stream going *into* the sub-layer and adds the result back to the "
    "un-normalised x: {fix}.":
        "Pre-LN（GPT-2）只对*送入*子层的那份残差流做归一化，再把结果加回未归一化的 x：{fix}。",
    "it adds f(ln(x)) to x, which is the Pre-LN layout": "它把 f(ln(x)) 加到 x 上，这是 Pre-LN 的结构",
    "Post-LN (the 2017 Transformer) adds first and normalises the sum: {fix}.":
        "Post-LN（2017 年的 Transformer）先相加，再对和做归一化：{fix}。",
    "the residual connection comes after the LayerNorm: h = ln(x); x = h + f(h)":
        "残差连接在层归一化之后：h = ln(x); x = h + f(h)",
    "The shortcut must start at the input x of the residual branch (the block's input, for the attention half), "
    "before the LayerNorm: {fix}. Starting it from ln(x) normalises the residual stream at every block.":
        "捷径必须从残差分支的输入 x 出发（对注意力这一半来说就是块的输入），在层归一化之前：{fix}。"
        "从 ln(x) 出发，就会在每个块里对残差流做归一化。",
    "the LayerNorm sits on the shortcut, ln(x) + f(x), instead of in the branch":
        "层归一化放在了捷径上，即 ln(x) + f(x)，而不是放在分支里",
    "The LayerNorm belongs inside the residual branch, in front of the sub-layer: {fix}; the stream itself is never "
    "normalised.": "层归一化应放在残差分支内部、子层之前：{fix}；残差流本身从不做归一化。",
    "the residual stream is normalised after the add: ln(x + f(ln(x)))": "相加之后对残差流做了归一化：ln(x + f(ln(x)))",
    "The LayerNorm belongs only inside the branch, {fix}; normalising the stream itself removes the identity path.":
        "层归一化只应放在分支内部，{fix}；对残差流本身做归一化会去掉恒等路径。",
    "The forward pass is right, but the sub-layer's weights get no gradient.": "前向传播是对的，但子层的权重得不到梯度。",
    "the shortcut starts from the normalised ln(x): x = ln(x) + f(ln(x))": "捷径从归一化后的 ln(x) 出发：x = ln(x) + f(ln(x))",
    "Post-LN feeds the sub-layer the stream itself and normalises after the add: {fix}.":
        "Post-LN 把残差流本身送入子层，相加之后再做归一化：{fix}。",
    "the LayerNorm sits on the shortcut only: x = ln(x) + f(x)": "层归一化只放在了捷径上：x = ln(x) + f(x)",
    "In Post-LN the LayerNorm takes the sum of the shortcut and the sub-layer: {fix}.":
        "在 Post-LN 中，层归一化作用于捷径与子层输出之和：{fix}。",
    "the sub-layer is fed ln(x): x = ln(x + f(ln(x)))": "送入子层的是 ln(x)：x = ln(x + f(ln(x)))",
    "Post-LN feeds the sub-layer the un-normalised stream and normalises the sum: {fix}.":
        "Post-LN 把未归一化的残差流送入子层，再对和做归一化：{fix}。",
    "the LayerNorm normalises only the sub-layer's output: x = x + ln(f(x))": "层归一化只作用于子层的输出：x = x + ln(f(x))",
    "Normalise the sub-layer's input instead: {fix}.": "应当对子层的输入做归一化：{fix}。",
    "Post-LN normalises the sum, shortcut included: {fix}.": "Post-LN 对包括捷径在内的和做归一化：{fix}。",
    "there is no residual connection: x = f(ln(x))": "没有残差连接：x = f(ln(x))",
    "Add the sub-layer's output back to its input: {fix}.": "把子层的输出加回它的输入：{fix}。",
    "there is no residual connection: x = ln(f(x))": "没有残差连接：x = ln(f(x))",
    "Add the sub-layer's output to its input before normalising: {fix}.": "先把子层的输出加到它的输入上，再做归一化：{fix}。",
    "Add the sub-layer's output to its input: {fix}.": "把子层的输出加到它的输入上：{fix}。",
    "the LayerNorm is missing: x = x + f(x)": "缺少层归一化：x = x + f(x)",
    "Each sub-layer has its own LayerNorm (ln_1 for the attention, ln_2 for the MLP): {fix}.":
        "每个子层都有自己的层归一化（注意力用 ln_1，MLP 用 ln_2）：{fix}。",
    "the shortcut is detached from the graph (x.detach() or torch.no_grad())": "捷径脱离了计算图（x.detach() 或 torch.no_grad()）",
    "The forward pass is right, but the gradient cannot flow back through the identity path: exactly the path that "
    "makes Pre-LN trainable.": "前向传播是对的，但梯度无法沿恒等路径反向流动，而正是这条路径让 Pre-LN 易于训练。",
    "the LayerNorm runs under torch.no_grad() (or is detached)": "层归一化在 torch.no_grad() 下运行（或被 detach 了）",
    "The forward pass is right, but no gradient reaches the LayerNorm's gain and bias or flows through the branch to "
    "x.": "前向传播是对的，但梯度既到不了层归一化的增益与偏置，也无法经分支流回 x。",
    "the sub-layer's branch runs under torch.no_grad() (or is detached)": "子层所在的分支在 torch.no_grad() 下运行（或被 detach 了）",
    "the shortcut is detached from the graph: ln(x.detach() + f(x))": "捷径脱离了计算图：ln(x.detach() + f(x))",
    "The forward pass is right, but no gradient flows back through the shortcut.": "前向传播是对的，但梯度无法沿捷径反向流动。",
    "the sub-layer's branch runs under torch.no_grad() (or is detached): ln(x + f(x).detach())":
        "子层所在的分支在 torch.no_grad() 下运行（或被 detach 了）：ln(x + f(x).detach())",
    "in both halves, {title}": "两个半块中，{title}",
    "in the attention half, {title}": "在注意力这一半中，{title}",
    "in the MLP half, {title}": "在 MLP 这一半中，{title}",
    "both halves use ln_1 (ln_2 is never used)": "两个半块都用了 ln_1（ln_2 从未被使用）",
    "Each sub-layer has its own LayerNorm: ln_1 with the attention, ln_2 with the MLP.":
        "每个子层都有自己的层归一化：ln_1 配注意力，ln_2 配 MLP。",
    "ln_1 and ln_2 are swapped": "ln_1 和 ln_2 弄反了",
    "ln_1 goes with the attention, ln_2 with the MLP (the names the checkpoint uses).":
        "ln_1 配注意力，ln_2 配 MLP（检查点里用的就是这两个名字）。",
    "the MLP runs before the attention": "MLP 在注意力之前运行",
    "A block first mixes information across positions (attention), then transforms each position (MLP).":
        "一个块先在位置之间混合信息（注意力），再逐个位置做变换（MLP）。",
    "Your block: {parts}": "你的块：{parts}",
    "; ": "；",
    " ": "",
    "Your GPT2 does not add the position embedding": "你的 GPT2 没有加上位置嵌入",
    "x = wte(idx) + wpe(positions), positions = 0, 1, ..., T-1: without wpe the model cannot tell the order of the "
    "tokens.": "x = wte(idx) + wpe(positions)，positions = 0, 1, ..., T-1：没有 wpe，模型就分辨不出 token 的顺序。",
    "Your positions start at 1": "你的位置从 1 开始",
    "The first token has position 0: `torch.arange(T)`.": "第一个 token 的位置是 0：`torch.arange(T)`。",
    "Your GPT2 forgets the final LayerNorm ln_f": "你的 GPT2 漏掉了最后的层归一化 ln_f",
    "GPT-2 normalises the stream once after the last block, before lm_head: in Pre-LN the stream is never normalised "
    "inside the stack.": "GPT-2 在最后一个块之后、lm_head 之前对残差流做一次归一化：在 Pre-LN 中，残差流在各层之间从不做归一化。",
    "Your GPT2 applies ln_f after every block": "你的 GPT2 在每个块之后都应用了 ln_f",
    "ln_f runs once, after the last block; applying it inside the loop normalises the residual stream.":
        "ln_f 只在最后一个块之后运行一次；在循环里应用它会对残差流做归一化。",
    "Your lm_head is not tied to wte": "你的 lm_head 没有与 wte 绑定",
    "GPT-2 uses one matrix to read and write tokens: lm_head's weight must be wte's weight, the same Parameter object, "
    "not a copy. Untied, the forward pass can look right with copied weights but the gradients and the parameter "
    "count differ.":
        "GPT-2 用同一个矩阵读入和写出 token：lm_head 的权重必须就是 wte 的权重，是同一个 Parameter 对象，而不是副本。"
        "不做权重绑定时，复制过来的权重能让前向传播看起来没错，但梯度和参数量都不一样。",
    "Your GPT2 builds Pre-LN blocks even when norm='post'": "你的 GPT2 在 norm='post' 时也构建了 Pre-LN 块",
    "Pick the block class from `norm`: PreLNBlock for 'pre', PostLNBlock for 'post' (and ln_f = nn.Identity() for "
    "'post').": "根据 `norm` 选择块的类：'pre' 用 PreLNBlock，'post' 用 PostLNBlock（'post' 时 ln_f = nn.Identity()）。",
    "Your GPT2 never applies its dropout `drop` (or builds it with p = 0, not cfg.dropout)":
        "你的 GPT2 从未调用它的 dropout `drop`（或者用 p = 0 而不是 cfg.dropout 构造了它）",
    "Drop out the embeddings before the first block: x = drop(wte(idx) + wpe(positions)). In eval() it does nothing; "
    "in training it zeroes a fraction cfg.dropout of them.":
        "在第一个块之前对嵌入做 dropout：x = drop(wte(idx) + wpe(positions))。在 eval() 下它什么也不做；"
        "训练时它把比例为 cfg.dropout 的嵌入置零。",
    # --- gpt2ln/grading/report.py: how a check's outcome reaches the student
    "{title}: {message}": "{title}：{message}",
    "See {section}.": "参见{section}。",
    "Your code raised it at {where}": "出错的是你的代码：{where}",
    "{title}: not answered yet. Your code still raises NotImplementedError: replace `raise NotImplementedError()` in "
    "the answer cell with your code.":
        "{title}：尚未作答。你的代码仍在抛出 NotImplementedError：请把答案单元格中的 `raise NotImplementedError()` "
        "换成你的代码。",
    "{title}: your code raised an error: {message}": "{title}：你的代码出错了：{message}",
    "passed": "通过",
    "PASSED": "通过",
    "FAILED": "未通过",
    "result": "结果",
    "check": "检查",
    "feedback": "反馈",
    "{passed} of {total} checks passed.": "{total} 项检查中通过了 {passed} 项。",
    "Hidden tests (other shapes, configurations, float64) run only at grading.":
        "隐藏测试（其他形状、配置与 float64）只在评分时运行。",
    "No checks have run yet: run the test cells above (Run > Run All Cells).":
        "还没有运行任何检查：请运行上面的测试单元格（Run > Run All Cells）。",
    "did not run: its cell stopped with an error before the check (see under that cell)":
        "未运行：它所在的单元格在检查之前就出错停止了（见该单元格下方）",
    # --- gpt2ln/grading/compare.py: comparing with the reference
    "{where}: {detail}": "{where}：{detail}",
    ", ": "、",
    " and ": "和",
    "the output": "输出",
    "the gradient of the input": "输入的梯度",
    "the gradient of `{name}`": "`{name}` 的梯度",
    "shape {shape}, expected {expected}": "形状为 {shape}，应为 {expected}",
    "yours contains NaN at {count} of {total} positions": "你的结果在 {total} 个位置中有 {count} 个是 NaN",
    "largest difference {difference:.3g} at index {index} (yours {yours:.6g}, expected {expected:.6g})":
        "最大差值 {difference:.3g}，位于索引 {index}（你的值 {yours:.6g}，应为 {expected:.6g}）",
    "no gradient reached it (is it computed under torch.no_grad() or cut off with .detach()?)":
        "没有梯度到达这里（它是不是在 torch.no_grad() 下计算的，或者被 .detach() 截断了？）",
    "the backward pass failed: {error}": "反向传播失败：{error}",
    "Your {what} has {names}, but as plain tensors, not nn.Parameter: wrap each in `nn.Parameter(...)` so that it is "
    "trained, moved and saved with the module.":
        "你的 {what} 有 {names}，但它们是普通张量而不是 nn.Parameter：请用 `nn.Parameter(...)` 包起来，"
        "这样它们才会随模块一起训练、移动和保存。",
    "The parameters of your {what} do not have the names the course uses.": "你的 {what} 的参数名与课程使用的名字不一致。",
    "Missing: {names}.": "缺少：{names}。",
    "Your module has no attribute {names}.": "你的模块没有属性 {names}。",
    "Not expected: {names}.": "多出来的：{names}。",
    "Use exactly the attribute names of the contract (they are the Hugging Face GPT-2 names), so that pretrained "
    "weights load by name.": "请严格使用约定的属性名（即 Hugging Face GPT-2 的名字），这样预训练权重才能按名字加载。",
    "In your {what}, `{name}` has shape {shape}; it should be {expected}.": "你的 {what} 中，`{name}` 的形状是 {shape}；应为 {expected}。",
    "Your {what} returned a {kind} ({kinds}), not a tensor: it must return only its output tensor (no extra values "
    "such as attention weights or a cache).":
        "你的 {what} 返回了一个 {kind}（{kinds}），而不是张量：它只能返回输出张量（不要附带注意力权重或缓存等额外的值）。",
    "Your {what} returned {kind}, not a tensor: did it forget `return`?": "你的 {what} 返回了 {kind}，而不是张量：是不是忘了 `return`？",
    "Your {what} changed its input in place (an in-place operation such as `x += ...` or `x.add_(...)` writes into "
    "the caller's tensor, and autograd cannot differentiate through an overwritten input): write `x = x + ...`, which "
    "makes a new tensor.":
        "你的 {what} 原地修改了它的输入（`x += ...` 或 `x.add_(...)` 这样的原地操作会写进调用者的张量，"
        "而 autograd 无法对被覆盖的输入求导）：请写 `x = x + ...`，它会生成一个新张量。",
    # --- gpt2ln/grading/harness.py
    "Your {what} gives different outputs for the same input in eval mode: something random runs when it should not, "
    "usually dropout applied with F.dropout(...) (whose training=True by default) or a dropout the module creates on "
    "the fly. Use the module's nn.Dropout, which eval() switches off.":
        "你的 {what} 在 eval 模式下对同一输入给出了不同的输出：有不该运行的随机操作在运行，通常是用 F.dropout(...) "
        "做的 dropout（它默认 training=True），或是模块临时创建的 dropout。请使用模块自己的 nn.Dropout，eval() 会关掉它。",
    "{message} {more}": "{message}{more}",
    "A block adds no dropout of its own: its sub-layers end in theirs.": "块本身不加 dropout：它的子层末尾各有自己的 dropout。",
    "GPT2's own dropout is `drop`, on the embeddings; its blocks add none of their own.":
        "GPT2 自己的 dropout 是作用在嵌入上的 `drop`；它的块本身不加 dropout。",
    # --- gpt2ln/grading/components.py: forward, gradients, more shapes
    "{name}: forward": "{name}：前向传播",
    "{name}: gradients": "{name}：梯度",
    "{name}: more shapes and float64": "{name}：更多形状与 float64",
    "outputs match the reference on {count} cases ({dtypes})": "输出在 {count} 个用例上与参考实现一致（{dtypes}）",
    "outputs and gradients match the reference on {count} cases ({dtypes})":
        "输出和梯度在 {count} 个用例上与参考实现一致（{dtypes}）",
    "What the check measured:": "检查测得的结果：",
    "Your {what} matches a known mistake. {message}": "你的 {what} 与一个已知错误相符。{message}",
    "Your {what}'s outputs match a known mistake (its gradients differ from it too). {message}":
        "你的 {what} 的输出与一个已知错误相符（但梯度与它也不同）。{message}",
    "Your {what} does not match any mistake we know: compare your code with the book. See {section}.":
        "你的 {what} 不符合我们已知的任何错误：请对照书中的内容检查你的代码。参见{section}。",
    "  the output differs from the reference ({case}): {detail}.": "  输出与参考实现不同（{case}）：{detail}。",
    "  the forward pass is right, but the gradients are not ({case}):": "  前向传播是对的，但梯度不对（{case}）：",
    "{name}(...) should build an nn.Module, got a {kind}.": "{name}(...) 应当构建一个 nn.Module，得到的却是 {kind}。",
    "`{first}` and `{second}` are one tensor in your {name}: one module is used in two places. `{first_module}` and "
    "`{second_module}` must be two modules with their own weights, as in the checkpoint, where they differ.":
        "在你的 {name} 中，`{first}` 和 `{second}` 是同一个张量：一个模块被用在了两处。`{first_module}` 和 "
        "`{second_module}` 必须是两个各有权重的模块，就像检查点里那样，它们的值并不相同。",
    "{error}\nWith norm='post' every block already ends in a LayerNorm, so `ln_f` must be nn.Identity() (it has no "
    "parameters). See {section}.":
        "{error}\n当 norm='post' 时，每个块末尾已经有层归一化，所以 `ln_f` 必须是 nn.Identity()（它没有参数）。参见{section}。",
    "Your {name} ignores cfg.bias ({case}): with bias=False its nn.Linear layers have no bias, `nn.Linear(..., "
    "bias=cfg.bias)`.\n{error}":
        "你的 {name} 忽略了 cfg.bias（{case}）：bias=False 时它的 nn.Linear 层没有偏置，`nn.Linear(..., bias=cfg.bias)`。\n{error}",
    "Your {name} ignores cfg.{field}{place} (here {value!r})": "你的 {name} 忽略了 cfg.{field}{place}（这里是 {value!r}）",
    " in `{where}`": "（在 `{where}` 中）",
    "the default {field}={value!r} gives": "默认值 {field}={value!r} 给出",
    "{field}={value!r} gives, a value written into your code instead of the config's":
        "{field}={value!r}（一个写死在你代码里、而不是取自配置的值）给出",
    "It computes what {computes}: {advice}.": "它算出的正是{computes}的结果：{advice}。",
    "build every nn.Dropout with it, `nn.Dropout(cfg.dropout)`": "用它构造每一个 nn.Dropout，`nn.Dropout(cfg.dropout)`",
    "pass it to every LayerNorm, `LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)`":
        "把它传给每一个 LayerNorm，`LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)`",
    # test cases, as the messages name them
    "n_embd=8, input (2, 5, 8)": "n_embd=8，输入 (2, 5, 8)",
    "n_embd=4, input (3, 4)": "n_embd=4，输入 (3, 4)",
    "n_embd=16, rows of tiny variance and a constant row": "n_embd=16，方差极小的行和一个常数行",
    "n_embd=8, eps=1e-2, rows of small variance": "n_embd=8，eps=1e-2，方差较小的行",
    "n_embd=768, input (1, 3, 768)": "n_embd=768，输入 (1, 3, 768)",
    "n_embd=6, 4-D input (2, 2, 3, 6)": "n_embd=6，四维输入 (2, 2, 3, 6)",
    "float64, n_embd=5": "float64，n_embd=5",
    "float64, tiny variance": "float64，方差极小",
    "x from -6 to 6": "x 从 -6 到 6",
    "input (2, 3, 4)": "输入 (2, 3, 4)",
    "float64, x from -4 to 4": "float64，x 从 -4 到 4",
    "large |x|": "|x| 很大",
    "n_embd=8, input (2, 3, 8)": "n_embd=8，输入 (2, 3, 8)",
    "n_embd=12, input (1, 4, 12)": "n_embd=12，输入 (1, 4, 12)",
    "training mode, dropout=0.5, input (2, 3, 8)": "训练模式，dropout=0.5，输入 (2, 3, 8)",
    "n_embd=32, input (2, 5, 32)": "n_embd=32，输入 (2, 5, 32)",
    "float64, n_embd=8": "float64，n_embd=8",
    "bias=False, n_embd=8": "bias=False，n_embd=8",
    "training mode, dropout=0.1, n_embd=16": "训练模式，dropout=0.1，n_embd=16",
    "n_embd=8, n_head=2, input (2, 5, 8)": "n_embd=8，n_head=2，输入 (2, 5, 8)",
    "n_embd=12, n_head=3, input (1, 7, 12)": "n_embd=12，n_head=3，输入 (1, 7, 12)",
    "n_embd=16, one head, input (2, 6, 16)": "n_embd=16，单个头，输入 (2, 6, 16)",
    "n_embd=16, n_head=4, one token": "n_embd=16，n_head=4，单个 token",
    "float64, n_embd=16, n_head=8, input (2, 9, 16)": "float64，n_embd=16，n_head=8，输入 (2, 9, 16)",
    "bias=False, n_embd=12, n_head=3": "bias=False，n_embd=12，n_head=3",
    "n_embd=12, n_head=3, input (1, 6, 12)": "n_embd=12，n_head=3，输入 (1, 6, 12)",
    "layer_norm_epsilon=0.1, input of small variance": "layer_norm_epsilon=0.1，方差较小的输入",
    "n_embd=16, n_head=4, input (2, 9, 16)": "n_embd=16，n_head=4，输入 (2, 9, 16)",
    "one token": "单个 token",
    "float64, n_embd=8, n_head=2": "float64，n_embd=8，n_head=2",
    "training mode, dropout=0.2": "训练模式，dropout=0.2",
    "Pre-LN, 2 layers, n_embd=8, tokens (2, 7)": "Pre-LN，2 层，n_embd=8，token (2, 7)",
    "Pre-LN, 3 layers, n_embd=12, a full context of 16 tokens": "Pre-LN，3 层，n_embd=12，16 个 token 的完整上下文",
    "Post-LN, 2 layers, n_embd=8, tokens (2, 7)": "Post-LN，2 层，n_embd=8，token (2, 7)",
    "training mode, dropout=0.3, Pre-LN, tokens (2, 7)": "训练模式，dropout=0.3，Pre-LN，token (2, 7)",
    "Pre-LN, one token": "Pre-LN，单个 token",
    "Post-LN, 3 layers, n_embd=12": "Post-LN，3 层，n_embd=12",
    "float64, Pre-LN": "float64，Pre-LN",
    "layer_norm_epsilon=0.5, Pre-LN": "layer_norm_epsilon=0.5，Pre-LN",
    # --- gpt2ln/grading/properties.py: what must hold whatever the weights
    "LayerNorm: properties": "LayerNorm：性质",
    "gelu: properties": "gelu：性质",
    "MLP: properties": "MLP：性质",
    "CausalSelfAttention: properties": "CausalSelfAttention：性质",
    "PreLNBlock: properties": "PreLNBlock：性质",
    "PostLNBlock: properties": "PostLNBlock：性质",
    "Your {what} has no attribute `{name}` (the contract's name, as in GPT-2's checkpoint).":
        "你的 {what} 没有属性 `{name}`（约定的名字，与 GPT-2 检查点中的相同）。",
    "`{what}.{name}` should be an nn.Linear({in_features}, {out_features}) (weight of shape {value}), got {name2} with "
    "weight {value2}.":
        "`{what}.{name}` 应当是 nn.Linear({in_features}, {out_features})（权重形状为 {value}），"
        "得到的却是权重为 {value2} 的 {name2}。",
    "Your LayerNorm has {join}, but as plain tensors, not nn.Parameter: wrap each in `nn.Parameter(...)` so that the "
    "optimiser trains it and it moves and saves with the module. See {section}.":
        "你的 LayerNorm 有 {join}，但它们是普通张量而不是 nn.Parameter：请用 `nn.Parameter(...)` 包起来，"
        "这样优化器才会训练它们，它们也才会随模块一起移动和保存。参见{section}。",
    "LayerNorm needs two nn.Parameter attributes, `weight` and `bias` (the gain and the shift); see {section}.":
        "LayerNorm 需要两个 nn.Parameter 属性：`weight` 和 `bias`（增益与偏置）；参见{section}。",
    "`weight` and `bias` have shape (n_embd,).": "`weight` 和 `bias` 的形状是 (n_embd,)。",
    "A new LayerNorm starts as a pure normaliser: `weight` initialised to ones and `bias` to zeros.":
        "新建的 LayerNorm 起初只做归一化：`weight` 初始化为 1，`bias` 初始化为 0。",
    "Your LayerNorm calls PyTorch's own layer norm ({calls}, or nn.LayerNorm, which calls it). The task is to write "
    "the normalisation yourself: the mean and the biased variance over the last dimension, then (x - mean) / sqrt(var "
    "+ eps) * weight + bias. See {section}.":
        "你的 LayerNorm 调用了 PyTorch 自带的层归一化（{calls}，或是会调用它的 nn.LayerNorm）。这道题要你自己写出归一化："
        "在最后一维上求均值和有偏方差，再算 (x - mean) / sqrt(var + eps) * weight + bias。参见{section}。",
    "LayerNorm must keep the shape: got {shape} for input {shape2}.": "LayerNorm 必须保持形状不变：输入 {shape2} 得到的是 {shape}。",
    "At initialisation each output row should have mean 0 (over the last dimension); got up to {mean:.3g}. See "
    "{section}.": "初始化时，每个输出行（在最后一维上）的均值应为 0；实际最大达到 {mean:.3g}。参见{section}。",
    "At initialisation each output row should have (biased) variance close to 1; got values from {var:.4g} to "
    "{var2:.4g}. See {section}.": "初始化时，每个输出行的（有偏）方差应接近 1；实际取值从 {var:.4g} 到 {var2:.4g}。参见{section}。",
    "Each token must be normalised on its own: the output for one sequence changed when the batch changed. Reduce "
    "over the last dimension only. See {section}.":
        "每个 token 必须单独做归一化：批量一变，同一序列的输出也跟着变了。只在最后一维上求统计量。参见{section}。",
    "parameters, initial values, zero mean and unit variance per row, no in-place change":
        "参数、初始值、每行零均值与单位方差、没有原地修改",
    "gelu returns a tensor of the same shape as its input.": "gelu 返回与输入形状相同的张量。",
    "gelu(0) must be 0, got {y:.4g}.": "gelu(0) 必须为 0，得到的是 {y:.4g}。",
    "gelu(x) is about x for large positive x and about 0 for large negative x.": "x 为很大的正数时 gelu(x) 约等于 x，为很大的负数时约等于 0。",
    "gelu has its minimum of about -0.17 near x = -0.75; yours gives {y:.4g} there. See {section}.":
        "gelu 在 x = -0.75 附近取到最小值，约为 -0.17；你的实现在那里给出 {y:.4g}。参见{section}。",
    "gelu(1) with the tanh approximation is 0.841192 (the exact GELU gives 0.841345); yours gives {y:.6f}. See "
    "{section}.": "用 tanh 近似时 gelu(1) = 0.841192（精确 GELU 给出 0.841345）；你的实现给出 {y:.6f}。参见{section}。",
    "zero at 0, identity for large x, minimum near -0.75, tanh value at 1": "0 处为零、x 很大时为恒等、最小值在 -0.75 附近、1 处为 tanh 近似的值",
    "MLP maps (B, T, n_embd) to (B, T, n_embd): got {shape}.": "MLP 把 (B, T, n_embd) 映射为 (B, T, n_embd)：得到的是 {shape}。",
    "The MLP acts on each position on its own: changing token 3 changed other positions. See {section}.":
        "MLP 对每个位置单独作用：改变第 3 个 token 却改变了其他位置。参见{section}。",
    "In training mode with dropout p = 1 your MLP's output is unchanged: it never applies `self.dropout`. Drop out "
    "c_proj's output: dropout(c_proj(gelu(c_fc(x)))). See {section}.":
        "训练模式下 dropout p = 1 时，你的 MLP 的输出没有变化：它从未调用 `self.dropout`。请对 c_proj 的输出做 dropout："
        "dropout(c_proj(gelu(c_fc(x))))。参见{section}。",
    "In training mode with dropout p = 1 your MLP returns c_proj.bias instead of zeros: its dropout acts before "
    "c_proj, on the 4 n_embd wide hidden layer. GPT-2 drops out the MLP's output, the branch that joins the residual "
    "stream: dropout(c_proj(gelu(c_fc(x)))). See {section}.":
        "训练模式下 dropout p = 1 时，你的 MLP 返回的是 c_proj.bias 而不是零：它的 dropout 作用在 c_proj 之前、"
        "宽为 4 n_embd 的隐藏层上。GPT-2 对 MLP 的输出（汇入残差流的那条分支）做 dropout：dropout(c_proj(gelu(c_fc(x))))。"
        "参见{section}。",
    "In training mode with dropout p = 1 the MLP's output must be exactly zero: dropout is its last step, "
    "dropout(c_proj(gelu(c_fc(x)))). See {section}.":
        "训练模式下 dropout p = 1 时，MLP 的输出必须恰好为零：dropout 是它的最后一步，dropout(c_proj(gelu(c_fc(x))))。"
        "参见{section}。",
    "With dropout 0.5 in training mode your MLP gives NaN.": "训练模式下 dropout 为 0.5 时，你的 MLP 给出了 NaN。",
    "c_fc and c_proj shapes, nn.Dropout(cfg.dropout) applied last, position-wise":
        "c_fc 与 c_proj 的形状、最后一步是 nn.Dropout(cfg.dropout)、逐位置作用",
    "Attention maps (B, T, n_embd) to (B, T, n_embd): got {shape}.": "注意力把 (B, T, n_embd) 映射为 (B, T, n_embd)：得到的是 {shape}。",
    "Your attention output contains NaN or inf: does some query have no key it may attend to? See {section}.":
        "你的注意力输出含有 NaN 或 inf：是不是某个查询没有任何可以关注的键？参见{section}。",
    "Changing the tokens after position {t} changed the output at positions 0..{t}: information reaches them from the "
    "future. Either the keys j > i are not masked before the softmax ({section}), or the heads are split or merged "
    "across the time axis: a reshape or view of (B, T, C) to (B, n_head, T, head_dim), or back, without the transpose "
    "({heads}).":
        "改变位置 {t} 之后的 token，却改变了位置 0..{t} 的输出：信息从未来流到了这些位置。要么是在 softmax 之前没有屏蔽 "
        "j > i 的键（{section}），要么是拆分或合并注意力头时跨越了时间轴：把 (B, T, C) 重排为 (B, n_head, T, head_dim)"
        "（或反过来）时用了 reshape 或 view 而没有转置（{heads}）。",
    "The first position can attend only to itself, so its output must be c_proj(v_0); yours differs. Is the diagonal "
    "masked (off by one), or are q, k, v split in another order than q, k, v? See {section}.":
        "第一个位置只能关注它自己，所以它的输出必须是 c_proj(v_0)；你的结果与之不同。是对角线被屏蔽了（错了一位），"
        "还是 q、k、v 没有按 q、k、v 的顺序切分？参见{section}。",
    "A sequence of one token must work and give the same output.": "只有一个 token 的序列也必须能运行，并给出相同的输出。",
    "shapes, dropouts where GPT-2 puts them, causal (a future change leaves the past alone), first token sees only "
    "itself": "形状、dropout 位于 GPT-2 放置的位置、因果性（未来的改变不影响过去）、第一个 token 只看到它自己",
    "Your {what} needs an `nn.Dropout(cfg.dropout)` as `{name}`.": "你的 {what} 需要一个 `nn.Dropout(cfg.dropout)` 作为 `{name}`。",
    "Your {what} ignores cfg.dropout: built with a config of dropout={dropout}, its `{name}` has p = {p}. Build it as "
    "`nn.Dropout(cfg.dropout)`.":
        "你的 {what} 忽略了 cfg.dropout：用 dropout={dropout} 的配置构造时，它的 `{name}` 的 p = {p}。"
        "请写成 `nn.Dropout(cfg.dropout)`。",
    "With attn_dropout p = 1 in training mode your attention gives NaN: it applies attn_dropout to the masked scores "
    "before the softmax, and dropout multiplies the -inf entries by 0 (NaN). Drop out the attention *weights*: apply "
    "attn_dropout after the softmax, to the weights that then multiply v. See {section}.":
        "训练模式下 attn_dropout p = 1 时，你的注意力给出了 NaN：它在 softmax 之前对掩码后的分数做了 attn_dropout，"
        "而 dropout 会把 -inf 乘以 0（得到 NaN）。应对注意力*权重*做 dropout：在 softmax 之后、对随后要乘以 v 的权重应用 "
        "attn_dropout。参见{section}。",
    "With attn_dropout p = 1 in training mode your attention's output is unchanged: it never applies attn_dropout. "
    "Drop out the attention weights, after the softmax and before `@ v`. See {section}.":
        "训练模式下 attn_dropout p = 1 时，你的注意力输出没有变化：它从未调用 attn_dropout。"
        "请在 softmax 之后、`@ v` 之前对注意力权重做 dropout。参见{section}。",
    "With attn_dropout p = 1 in training mode every attention weight is 0, so the output must be c_proj's bias at "
    "every position; yours is not. attn_dropout acts on the attention weights, after the softmax and before `@ v`. "
    "See {section}.":
        "训练模式下 attn_dropout p = 1 时，每个注意力权重都是 0，所以每个位置的输出都必须是 c_proj 的偏置；你的结果不是。"
        "attn_dropout 作用在注意力权重上，位于 softmax 之后、`@ v` 之前。参见{section}。",
    "With resid_dropout p = 1 in training mode your attention's output is unchanged: it never applies resid_dropout. "
    "It is the last step, applied to c_proj's output. See {section}.":
        "训练模式下 resid_dropout p = 1 时，你的注意力输出没有变化：它从未调用 resid_dropout。"
        "它是最后一步，作用在 c_proj 的输出上。参见{section}。",
    "With resid_dropout p = 1 in training mode the attention's output must be exactly zero: resid_dropout is the last "
    "step, applied to c_proj's output. See {section}.":
        "训练模式下 resid_dropout p = 1 时，注意力的输出必须恰好为零：resid_dropout 是最后一步，作用在 c_proj 的输出上。"
        "参见{section}。",
    "With dropout 0.5 in training mode your attention gives NaN or inf: is attn_dropout applied to the masked scores "
    "(-inf * 0 is NaN) instead of the weights after the softmax? See {section}.":
        "训练模式下 dropout 为 0.5 时，你的注意力给出了 NaN 或 inf：attn_dropout 是不是作用在了掩码后的分数上"
        "（-inf * 0 得 NaN），而不是 softmax 之后的权重上？参见{section}。",
    "Your {what} has no sub-module `{name}`: a block owns ln_1, attn, ln_2 and mlp (the checkpoint's names).":
        "你的 {what} 没有子模块 `{name}`：一个块拥有 ln_1、attn、ln_2 和 mlp（检查点中的名字）。",
    "ln_1 and ln_2 must be two LayerNorms with their own weights ({what}).": "ln_1 和 ln_2 必须是两个各有权重的 LayerNorm（{what}）。",
    "Changing tokens 4 and 5 changed the output of your {what} at positions 0..3: the block must stay causal (use the "
    "CausalSelfAttention you were given).":
        "改变第 4、5 个 token，却改变了你的 {what} 在位置 0..3 的输出：块必须保持因果性（请使用给你的 CausalSelfAttention）。",
    "With both sub-layers switched off (c_proj = 0) a Pre-LN block must be the identity, y = x: the stream passes "
    "through un-normalised and each branch only adds to it. Yours changed x, so the residual stream itself goes "
    "through a LayerNorm, as it does in each of Misconceptions 1, 2 and 3 (the shortcut starting from ln(x), the "
    "Post-LN layout, a LayerNorm on the shortcut); with the sub-layers off they all give the same output, and the "
    "forward check names the one your block matches, if any. See {section}.":
        "两个子层都关掉（c_proj = 0）时，Pre-LN 块必须是恒等映射 y = x：残差流不经归一化直接通过，每条分支只往上加。"
        "你的块改变了 x，说明残差流本身经过了层归一化，误区一、二、三都是如此（捷径从 ln(x) 出发、Post-LN 结构、"
        "层归一化放在捷径上）；子层关掉时它们给出相同的输出，前向传播检查会指出你的块符合其中哪一个（如果有的话）。"
        "参见{section}。",
    "With both sub-layers switched off, the gradient must pass through a Pre-LN block unchanged (dy/dx = I); yours "
    "does not: is the shortcut detached or computed under torch.no_grad()? See {section}.":
        "两个子层都关掉时，梯度必须原样穿过 Pre-LN 块（dy/dx = I）；你的块不是这样：捷径是不是被 detach 了，"
        "或者是在 torch.no_grad() 下计算的？参见{section}。",
    "sub-modules, causal, identity when the branches are off (forward and gradient)":
        "子模块、因果性、分支关掉时为恒等映射（前向与梯度）",
    "With both sub-layers switched off (c_proj = 0) a Post-LN block must give ln_2(ln_1(x)): every path, the shortcut "
    "included, goes through both LayerNorms. Yours does not. See {section}.":
        "两个子层都关掉（c_proj = 0）时，Post-LN 块必须给出 ln_2(ln_1(x))：包括捷径在内的每条路径都要经过两个层归一化。"
        "你的块不是这样。参见{section}。",
    "sub-modules, causal, ln_2(ln_1(x)) when the branches are off": "子模块、因果性、分支关掉时为 ln_2(ln_1(x))",
    # --- gpt2ln/grading/model_checks.py: GPT2 and the Hugging Face weights
    "GPT2: forward": "GPT2：前向传播",
    "GPT2: gradients": "GPT2：梯度",
    "GPT2: more shapes and float64": "GPT2：更多形状与 float64",
    "GPT2: properties": "GPT2：性质",
    "load_hf_state_dict: weights": "load_hf_state_dict：权重",
    "GPT2 + load_hf_state_dict: logits equal Hugging Face's": "GPT2 + load_hf_state_dict：logits 与 Hugging Face 的相同",
    "load_hf_state_dict: another configuration": "load_hf_state_dict：另一种配置",
    "Your GPT2 has no attribute `{name}` (the checkpoint's names: wte, wpe, drop, h, ln_f, lm_head). See {section}.":
        "你的 GPT2 没有属性 `{name}`（检查点中的名字：wte、wpe、drop、h、ln_f、lm_head）。参见{section}。",
    "`h` must be an nn.ModuleList of cfg.n_layer blocks (3 here), got {name} of {value}.":
        "`h` 必须是由 cfg.n_layer 个块（这里是 3 个）组成的 nn.ModuleList，得到的却是含 {value} 个元素的 {name}。",
    "GPT2(cfg) (norm='pre') must be built of PreLNBlock.": "GPT2(cfg)（norm='pre'）必须由 PreLNBlock 构成。",
    "lm_head must be tied to the token embedding: its weight must be wte's weight, the same Parameter object (one "
    "matrix reads and writes tokens). See {section}.":
        "lm_head 必须与 token 嵌入绑定：它的权重必须就是 wte 的权重，是同一个 Parameter 对象（用同一个矩阵读入和写出 token）。"
        "参见{section}。",
    "GPT2(cfg, norm='post') must be built of PostLNBlock.": "GPT2(cfg, norm='post') 必须由 PostLNBlock 构成。",
    "With norm='post' every block already ends in a LayerNorm, so `ln_f` must be nn.Identity().":
        "当 norm='post' 时，每个块末尾已经有层归一化，所以 `ln_f` 必须是 nn.Identity()。",
    "GPT2 returns logits of shape (B, T, vocab_size) = (2, 10, 50), got {shape}.":
        "GPT2 返回形状为 (B, T, vocab_size) = (2, 10, 50) 的 logits，得到的是 {shape}。",
    "Changing tokens 6..9 changed the logits at positions 0..5: the model must be causal.":
        "改变第 6..9 个 token，却改变了位置 0..5 的 logits：模型必须是因果的。",
    "names, n_layer blocks, tied lm_head, Post-LN layout, logits shape, causal, drop on the embeddings":
        "名字、n_layer 个块、绑定的 lm_head、Post-LN 结构、logits 形状、因果性、嵌入上的 drop",
    "`drop` must be `nn.Dropout(cfg.dropout)`: built with dropout={dropout}, yours is {drop!r}. See {section}.":
        "`drop` 必须是 `nn.Dropout(cfg.dropout)`：用 dropout={dropout} 构造时，你的是 {drop!r}。参见{section}。",
    "With drop.p = 1 in training mode every embedding is zeroed, so the blocks see only zeros; your logits are not what "
    "your own blocks, ln_f and lm_head make of zeros. Apply `drop` to the sum of the two embeddings, before the first "
    "block: x = drop(wte(idx) + wpe(positions)). See {section}.":
        "训练模式下 drop.p = 1 时，所有嵌入都被置零，块看到的只有零；而你的 logits 并不是你自己的块、ln_f 和 lm_head "
        "对零输入算出的结果。请在第一个块之前对两个嵌入之和应用 `drop`：x = drop(wte(idx) + wpe(positions))。参见{section}。",
    " A shape mismatch usually means a Conv1D weight was not transposed: Hugging Face stores c_attn, c_proj and c_fc "
    "as (in_features, out_features), nn.Linear as (out, in). See {section}.":
        "形状不匹配通常说明某个 Conv1D 权重没有转置：Hugging Face 把 c_attn、c_proj 和 c_fc 存成 "
        "(in_features, out_features)，而 nn.Linear 是 (out, in)。参见{section}。",
    "load_hf_state_dict(model, state_dict) must return the model it loaded into.":
        "load_hf_state_dict(model, state_dict) 必须返回它加载进去的那个模型。",
    "`{name}` holds the checkpoint's matrix as it is, where nn.Linear needs its transpose. Hugging Face keeps c_attn, "
    "c_proj and c_fc as Conv1D layers, whose weight is (in_features, out_features): transpose *every* one of them into "
    "nn.Linear, square ones (attn.c_proj) included, by name rather than by shape. See {section}.":
        "`{name}` 中存的是检查点中原样的矩阵，而 nn.Linear 需要的是它的转置。Hugging Face 把 c_attn、c_proj 和 c_fc 存为 Conv1D 层，其权重形状是 "
        "(in_features, out_features)：要把它们*每一个*都转置后放进 nn.Linear，方阵（attn.c_proj）也不例外；"
        "请按名字而不是按形状来判断。参见{section}。",
    "Your logits are lm_head of the last block's output: ln_f is never applied. GPT-2 normalises the stream once, "
    "after the last block and before lm_head. See {section}.":
        "你的 logits 是 lm_head 作用在最后一个块的输出上：ln_f 从未被调用。GPT-2 在最后一个块之后、lm_head 之前"
        "对残差流做一次归一化。参见{section}。",
    "`{name}` was not loaded: it still holds its initial value. Copy every tensor of the state dict (the names start "
    "with 'transformer.'). See {section}.":
        "`{name}` 没有被加载：它仍是初始值。请复制 state dict 中的每一个张量（名字以 'transformer.' 开头）。参见{section}。",
    "`{name}` has the wrong values after loading: {describe_difference}. See {section}.":
        "加载之后 `{name}` 的值不对：{describe_difference}。参见{section}。",
    "After loading, lm_head must still be tied to wte (copy values into the existing tensors, e.g. with "
    "`param.copy_(...)` under torch.no_grad(), instead of replacing the Parameter objects). See {section}.":
        "加载之后 lm_head 必须仍与 wte 绑定（把值复制进已有的张量，例如在 torch.no_grad() 下用 `param.copy_(...)`，"
        "而不是替换 Parameter 对象）。参见{section}。",
    "every tensor of a random GPT2LMHeadModel lands in the right place, Conv1D weights transposed":
        "随机 GPT2LMHeadModel 的每个张量都放到了正确的位置，Conv1D 权重已转置",
    "logits of shape {shape}, expected {shape2}.": "logits 的形状为 {shape}，应为 {shape2}。",
    "Your GPT2 with the loaded weights gives different logits from Hugging Face's GPT2LMHeadModel: "
    "{describe_difference}. If the weights check above passes, look at GPT2.forward; if not, fix the loader first. "
    "See {section}.":
        "加载权重后，你的 GPT2 给出的 logits 与 Hugging Face 的 GPT2LMHeadModel 不同：{describe_difference}。"
        "如果上面的权重检查通过了，请检查 GPT2.forward；如果没有通过，请先修好加载函数。参见{section}。",
    "same logits as transformers.GPT2LMHeadModel on the same weights": "同样的权重下，logits 与 transformers.GPT2LMHeadModel 相同",
    "weights and logits match on a 3-layer, 6-head model over a full context":
        "在一个 3 层、6 个头、完整上下文的模型上，权重和 logits 都一致",
    # --- gpt2ln/grading/flow_checks.py: assignment 5
    "layer_gradient_norms: values": "layer_gradient_norms：数值",
    "layer_gradient_norms: more depths, seeds and inits": "layer_gradient_norms：更多深度、种子与初始化",
    "hidden_state_norms: values": "hidden_state_norms：数值",
    "hidden_state_norms: more depths, seeds and inits": "hidden_state_norms：更多深度、种子与初始化",
    "gradient flow: what your measurements show": "梯度流：你的测量说明了什么",
    "the norm of the gradient of *all* of block l's parameters, not only mlp.c_proj.weight":
        "第 l 个块*全部*参数的梯度范数，而不只是 mlp.c_proj.weight 的",
    "squared norms (||g||^2): take the Frobenius norm itself, `grad.norm()`": "范数的平方（||g||^2）：请取 Frobenius 范数本身，`grad.norm()`",
    "the gradient of a *summed* loss (B x T times the mean): use the mean cross-entropy, `lm_loss`":
        "*求和*损失的梯度（是均值的 B x T 倍）：请用平均交叉熵 `lm_loss`",
    "the attention's c_proj (attn.c_proj) instead of the MLP's (mlp.c_proj)": "注意力的 c_proj（attn.c_proj），而不是 MLP 的（mlp.c_proj）",
    "the MLP's first layer (mlp.c_fc) instead of its output layer (mlp.c_proj)": "MLP 的第一层（mlp.c_fc），而不是它的输出层（mlp.c_proj）",
    "the layers in reverse order: index 0 must be the first block, model.h[0]": "层的顺序颠倒了：索引 0 必须是第一个块 model.h[0]",
    "gradients accumulated over two backward passes: call model.zero_grad() first": "两次反向传播累积的梯度：请先调用 model.zero_grad()",
    "not divided by n_embd: report mean ||x_l||^2 / n_embd": "没有除以 n_embd：应报告 ||x_l||^2 / n_embd 的均值",
    "norms, not squared norms: report mean ||x_l||^2 / n_embd": "范数而不是范数的平方：应报告 ||x_l||^2 / n_embd 的均值",
    "the root mean square: report the mean of ||x_l||^2 / n_embd, not its square root":
        "均方根：应报告 ||x_l||^2 / n_embd 的均值，而不是它的平方根",
    "without x_0, the input of the first block (the list has L + 1 entries: x_0 = drop(wte + wpe))":
        "缺少第一个块的输入 x_0（列表有 L + 1 项：x_0 = drop(wte + wpe)）",
    "the final LayerNorm's output in the last place: x_L is the output of the last block, before ln_f":
        "最后一项用了最终层归一化的输出：x_L 是最后一个块的输出，在 ln_f 之前",
    "Your {what} for {label} differ from the reference (gpt2ln.experiments.gradient_flow, same seed).":
        "你在 {label} 上得到的{what}与参考结果（gpt2ln.experiments.gradient_flow，相同种子）不同。",
    "  yours:    {values}": "  你的结果：{values}",
    "  expected: {values}": "  应为：    {values}",
    "You returned {count} numbers; there should be {expected}.": "你返回了 {count} 个数；应当是 {expected} 个。",
    "Your numbers are {explanation}.": "你的这些数是{explanation}。",
    "Your number is {explanation}.": "你的这个数是{explanation}。",
    "{norm}-LN, {n_layer} layers, seed {seed}, {init} init": "{norm}-LN，{n_layer} 层，种子 {seed}，{init} 初始化",
    "gradient norms": "梯度范数",
    "hidden-state norms": "隐藏状态范数",
    "{what} must return a list of floats, got {name}.": "{what} 必须返回一个浮点数列表，得到的却是 {name}。",
    "{n_cases} stacks match gradient_flow": "{n_cases} 个堆叠与 gradient_flow 一致",
    "Measuring the same model twice gave different numbers: gradients from the first call were still there. Reset "
    "them (model.zero_grad()) before the backward pass.":
        "对同一个模型测量两次，得到的数不同：第一次调用留下的梯度还在。请在反向传播之前把梯度清零（model.zero_grad()）。",
    "In Pre-LN the residual stream is a sum of branch outputs, so its size grows with depth (Lemma 2); your "
    "measurement gives {pre_hidden:.3g} at x_0 and {pre_hidden2:.3g} at x_8. See {section}.":
        "在 Pre-LN 中，残差流是各分支输出之和，所以它的大小随深度增长（引理 2）；你的测量在 x_0 处为 {pre_hidden:.3g}，"
        "在 x_8 处为 {pre_hidden2:.3g}。参见{section}。",
    "Every Post-LN block ends in a LayerNorm, so ||x_l||^2 / n_embd stays near 1; yours gives {post_hidden}.":
        "每个 Post-LN 块都以层归一化结尾，所以 ||x_l||^2 / n_embd 保持在 1 附近；你的结果是 {post_hidden}。",
    "Post-LN's gradients should lean toward the top layers more than Pre-LN's (Xiong et al. 2020, Fig. 3); your "
    "top/bottom ratios: Post-LN {value:.3g}, Pre-LN {value2:.3g}.":
        "Post-LN 的梯度应当比 Pre-LN 的更偏向顶层（Xiong et al. 2020，图 3）；你得到的顶层/底层之比：Post-LN {value:.3g}，"
        "Pre-LN {value2:.3g}。",
    "repeatable, Pre-LN stream grows, Post-LN stream pinned near 1, Post-LN top-heavy":
        "可重复、Pre-LN 的残差流增长、Post-LN 的残差流固定在 1 附近、Post-LN 的梯度偏向顶层",
    # --- gpt2ln/grading/schedule_checks.py: assignment 6
    "lr_at: values": "lr_at：数值",
    "lr_at: more schedules": "lr_at：更多调度",
    "lr_at: properties": "lr_at：性质",
    "the warmup is off by one: it should be base_lr * step / warmup_steps, 0 at step 0":
        "预热错了一步：应为 base_lr * step / warmup_steps，第 0 步为 0",
    "the cosine decays to 0; it should end at min_lr = 0.1 * base_lr": "余弦衰减到了 0；它应当停在 min_lr = 0.1 * base_lr",
    "there is no decay after the warmup; it should follow a cosine down to 0.1 * base_lr":
        "预热之后没有衰减；它应当按余弦下降到 0.1 * base_lr",
    "the decay is linear; it should be the cosine (1 + cos(pi p)) / 2": "衰减是线性的；它应当是余弦 (1 + cos(pi p)) / 2",
    "the cosine's progress counts from step 0; it should be p = (step - warmup_steps) / (total_steps - warmup_steps)":
        "余弦的进度从第 0 步开始算；应为 p = (step - warmup_steps) / (total_steps - warmup_steps)",
    "the cosine runs on past total_steps, so the rate rises again after total_steps; clamp the progress, p = min(p, "
    "1), so that it stays at 0.1 * base_lr":
        "余弦越过了 total_steps 继续运行，所以学习率在 total_steps 之后又会上升；请截断进度 p = min(p, 1)，"
        "使它停在 0.1 * base_lr",
    "With base_lr={base:g}, warmup_steps={warmup}, total_steps={total}: at step {step} your schedule gives {yours!r}, "
    "the reference {expected:.6g}.":
        "当 base_lr={base:g}，warmup_steps={warmup}，total_steps={total} 时：第 {step} 步你的调度给出 {yours!r}，"
        "参考实现给出 {expected:.6g}。",
    "It looks as if {explanation}.": "看起来{explanation}。",
    "every step of {n_cases} schedules matches": "{n_cases} 个调度的每一步都一致",
    "With a warmup the first step's rate is 0 (base_lr * 0 / warmup_steps), got {lrs:g}.":
        "有预热时，第一步的学习率是 0（base_lr * 0 / warmup_steps），得到的是 {lrs:g}。",
    "During the warmup the rate must rise at every step.": "预热期间学习率必须每一步都上升。",
    "At step warmup_steps the rate must reach base_lr ({base:g}), got {lrs:g}.":
        "在第 warmup_steps 步，学习率必须达到 base_lr（{base:g}），得到的是 {lrs:g}。",
    "After the warmup the rate must never rise.": "预热之后学习率不能再上升。",
    "After total_steps ({total}) your rate rises again (step {rises}: {lrs:g}, step {value}: {lrs2:g}): the cosine "
    "runs on past its end. Clamp the progress at 1 so that the rate stays at min_lr = 0.1 * base_lr.":
        "在 total_steps（{total}）之后，你的学习率又上升了（第 {rises} 步：{lrs:g}，第 {value} 步：{lrs2:g}）："
        "余弦越过了终点继续运行。请把进度截断在 1，使学习率停在 min_lr = 0.1 * base_lr。",
    "From total_steps on the rate stays at min_lr = 0.1 * base_lr ({value:g}); got {lrs}.":
        "从 total_steps 起，学习率保持在 min_lr = 0.1 * base_lr（{value:g}）；得到的是 {lrs}。",
    "warmup_steps=0 means no warmup: step 0 already uses base_lr, got {no_warmup!r}.":
        "warmup_steps=0 表示不预热：第 0 步就用 base_lr，得到的是 {no_warmup!r}。",
    "Your lr_at accepts base_lr, warmup_steps and total_steps as positional arguments; they are keyword-only, as the "
    "given signature says: `def lr_at(step, *, base_lr, warmup_steps, total_steps)`, so that a call can never swap "
    "two of them.":
        "你的 lr_at 接受 base_lr、warmup_steps 和 total_steps 作为位置参数；按照给定的签名，它们只能用关键字传入："
        "`def lr_at(step, *, base_lr, warmup_steps, total_steps)`，这样调用时就不会把其中两个弄反。",
    "starts at 0, rises to base_lr, never rises after, ends at a tenth; no warmup works; keyword-only":
        "从 0 开始、升到 base_lr、之后不再上升、最后停在十分之一；不预热也能工作；只接受关键字参数",
    # --- gpt2ln/grading/diagnose_checks.py and blackbox.py: assignment 7
    "identity_gap: values": "identity_gap：数值",
    "identity_gap: more blocks and widths": "identity_gap：更多块与宽度",
    "stream_sizes: values": "stream_sizes：数值",
    "stream_sizes: more blocks and depths": "stream_sizes：更多块与深度",
    "gradient_ratio: values": "gradient_ratio：数值",
    "gradient_ratio: more blocks and depths": "gradient_ratio：更多块与深度",
    "classify: the five black boxes": "classify：五个黑盒",
    "classify: other blocks, widths and seeds, PyTorch's own layers": "classify：其他块、宽度与种子，以及 PyTorch 自带的层",
    "the gap with only the branch outputs' weights zeroed: their biases must be zero too (the attention's and the "
    "MLP's c_proj biases), else each branch still adds a constant and is not off":
        "只把分支输出层的权重置零后的差距：它们的偏置也必须置零（注意力和 MLP 的 c_proj 偏置），"
        "否则每条分支仍会加上一个常数，并没有关掉",
    "the gap of the block with its branches still on: zero the weight *and* bias of every layer in "
    "block.branch_outputs() first":
        "分支仍然开着时块的差距：请先把 block.branch_outputs() 中每一层的权重*和*偏置置零",
    "not divided by ||I||_F = sqrt(n): the gap is relative, ||J - I||_F / ||I||_F":
        "没有除以 ||I||_F = sqrt(n)：差距是相对的，||J - I||_F / ||I||_F",
    "||J||_F / ||I||_F: subtract the identity first, ||J - I||_F": "||J||_F / ||I||_F：请先减去单位矩阵，||J - I||_F",
    "a squared norm: take the Frobenius norms themselves, not their squares": "范数的平方：请取 Frobenius 范数本身，而不是它们的平方",
    "not divided by d = n_embd: report the mean of ||x_l||^2 / d": "没有除以 d = n_embd：应报告 ||x_l||^2 / d 的均值",
    "norms, not squared norms: report the mean of ||x_l||^2 / d": "范数而不是范数的平方：应报告 ||x_l||^2 / d 的均值",
    "root mean squares: report the mean of ||x_l||^2 / d, not its square root": "均方根：应报告 ||x_l||^2 / d 的均值，而不是它的平方根",
    "without x_0 = x, the input of the first block (the list has L + 1 entries)": "缺少第一个块的输入 x_0 = x（列表有 L + 1 项）",
    "first/last: the ratio is the last block's gradient over the first block's": "第一个/最后一个：这个比值是最后一个块的梯度除以第一个块的梯度",
    "a ratio of squared norms: take ||grad||_F itself": "范数平方之比：请取 ||grad||_F 本身",
    "the attention's output layer (branch_outputs()[0]): use the last branch output, the MLP's (branch_outputs()[-1])":
        "注意力的输出层（branch_outputs()[0]）：请用最后一个分支输出层，即 MLP 的（branch_outputs()[-1]）",
    "without the final LayerNorm: the loss is (layer_norm(x_L) * probe).sum()": "缺少最后的层归一化：损失是 (layer_norm(x_L) * probe).sum()",
    "{what} must return a float, got {name}.": "{what} 必须返回一个浮点数，得到的却是 {name}。",
    "Your {what} for {label} differ from the course's measurement (gpt2ln.grading.blackbox).":
        "你在{label}上得到的{what}与课程的测量（gpt2ln.grading.blackbox）不同。",
    "Your {what} for {label} differs from the course's measurement (gpt2ln.grading.blackbox).":
        "你在{label}上得到的{what}与课程的测量（gpt2ln.grading.blackbox）不同。",
    "practice box {name}": "练习黑盒 {name}",
    "hidden box {name}": "隐藏黑盒 {name}",
    "a black box (n_embd={n_embd}, seed {seed})": "一个黑盒（n_embd={n_embd}，种子 {seed}）",
    "{n_layer} stacked copies of {box}": "{n_layer} 个堆叠起来的{box}",
    "identity gap": "恒等差距",
    "stream sizes": "残差流大小",
    "gradient ratio": "梯度比",
    "{n_cases} blocks match the course's identity gap": "{n_cases} 个块与课程的恒等差距一致",
    "{n_cases} stacks match the course's stream sizes": "{n_cases} 个堆叠与课程的残差流大小一致",
    "{n_cases} stacks match the course's gradient ratio": "{n_cases} 个堆叠与课程的梯度比一致",
    "{n_cases} black boxes classified right": "{n_cases} 个黑盒分类正确",
    "the gradient ratio last/first is astronomically large (the gradient reaches the first block only through the "
    "branches) and the identity gap is 1 (with its branches off the block's Jacobian is 0): the shortcut carries no "
    "gradient":
        "最后一个/第一个的梯度比大得惊人（梯度只能经由分支到达第一个块），并且恒等差距为 1（分支关掉后块的雅可比矩阵为 0）："
        "捷径上没有梯度",
    "the identity gap is 0: with its branches off the block is exactly the identity, so the shortcut is a clean "
    "identity path (and the stream grows along the stack)":
        "恒等差距为 0：分支关掉后块恰好是恒等映射，所以捷径是一条干净的恒等路径（而且残差流沿着堆叠增长）",
    "the identity gap is not 0 (a LayerNorm sits on the shortcut) and every x_l of the stack has ||x_l||^2/d = 1: "
    "every block ends in a LayerNorm":
        "恒等差距不为 0（捷径上有层归一化），并且堆叠中每个 x_l 都满足 ||x_l||^2/d = 1：每个块都以层归一化结尾",
    "the identity gap is not 0, the stream is not pinned at 1, and a 3x larger input gives exactly the same stream: "
    "the block sees only ln(x), the shortcut starts after the LayerNorm":
        "恒等差距不为 0，残差流没有固定在 1，而且输入放大 3 倍后残差流完全不变：块只看得到 ln(x)，捷径从层归一化之后出发",
    "the identity gap is not 0, the stream is not pinned at 1, and a 3x larger input changes the stream: the "
    "LayerNorm is on the shortcut, the branch sees the raw x":
        "恒等差距不为 0，残差流没有固定在 1，而且输入放大 3 倍会改变残差流：层归一化在捷径上，分支看到的是原始的 x",
    "classify reads the black box instead of measuring it ({what}): a classifier may use only block(x), "
    "block.branch_outputs(), block.parameters() and block.n_embd, and decide from the three measurements. The hidden "
    "boxes are other classes, so what a box's insides say is not an answer.":
        "classify 读取了黑盒的内部，而不是去测量它（{what}）：分类器只能使用 block(x)、block.branch_outputs()、"
        "block.parameters() 和 block.n_embd，并根据三项测量做出判断。隐藏黑盒是别的类，所以黑盒内部写着什么并不能当作答案。",
    "your classify assumes width 32 (the practice boxes' width); the hidden boxes have other widths (24 to 64): read "
    "the width from the box, make_block(0).n_embd, and build your inputs at that width "
    "(probe_inputs(make_block(0).n_embd)). The error was {error}":
        "你的 classify 假定宽度为 32（练习黑盒的宽度）；隐藏黑盒的宽度各不相同（24 到 64）：请从黑盒读取宽度 "
        "make_block(0).n_embd，并按这个宽度构造输入（probe_inputs(make_block(0).n_embd)）。出现的错误是 {error}",
    "classify must return one of {labels}; for {name} it returned {answer!r}.":
        "classify 必须返回 {labels} 之一；对{name}它返回了 {answer!r}。",
    "{box} (n_embd={n_embd}, seed {seed}): you said {answer!r}; it is {label!r}: {what}.":
        "{box}（n_embd={n_embd}，种子 {seed}）：你的答案是 {answer!r}；它其实是 {label!r}：{what}。",
    "The course's measurements: {measurements}.": "课程的测量：{measurements}。",
    "What decides it: {rule}.": "判断依据：{rule}。",
    "Misconception 2 is not a layout of its own: a Post-LN block where Pre-LN was asked. See {section}.":
        "误区二不是一种单独的结构：它是在要求 Pre-LN 的地方交上了 Post-LN 块。参见{section}。",
    "the course's Pre-LN block (GPT-2), x = x + f(ln(x))": "课程的 Pre-LN 块（GPT-2），x = x + f(ln(x))",
    "the course's Post-LN block, x = ln(x + f(x))": "课程的 Post-LN 块，x = ln(x + f(x))",
    "Misconception 1: h = ln(x); x = h + f(h)": "误区一：h = ln(x); x = h + f(h)",
    "Misconception 2: a Post-LN block, x = ln(x + f(x)), handed in where Pre-LN was asked":
        "误区二：在要求 Pre-LN 的地方交上了 Post-LN 块 x = ln(x + f(x))",
    "Misconception 3: the LayerNorm on the shortcut, x = ln(x) + f(x)": "误区三：层归一化放在捷径上，x = ln(x) + f(x)",
    "a Pre-LN block whose shortcut is detached, x.detach() + f(ln(x))": "捷径被 detach 的 Pre-LN 块，x.detach() + f(ln(x))",
    "PyTorch's nn.TransformerEncoderLayer(norm_first=False), its default": "PyTorch 的 nn.TransformerEncoderLayer(norm_first=False)，即它的默认设置",
    "PyTorch's nn.TransformerEncoderLayer(norm_first=True)": "PyTorch 的 nn.TransformerEncoderLayer(norm_first=True)",
    "Misconception 3 as ln(x + f(ln(x))), the stream normalised after the add": "误区三的 ln(x + f(ln(x))) 形式：相加之后对残差流做归一化",
    "identity gap {gap:.3g}; stream ||x_l||^2/d from {first:.3g} to {last:.3g} over {blocks} blocks (from 3x the "
    "input: {first_3x:.3g} after block 1 against {first_block:.3g}); gradient ratio last/first {ratio:.3g}":
        "恒等差距 {gap:.3g}；残差流 ||x_l||^2/d 经过 {blocks} 个块从 {first:.3g} 变为 {last:.3g}（输入放大 3 倍时，"
        "第 1 个块之后为 {first_3x:.3g}，原输入为 {first_block:.3g}）；最后一个/第一个的梯度比 {ratio:.3g}",
    # --- autograder/check.py: a student's self-check
    "hidden": "隐藏",
    "{grade_id} ({points}): runs at grading, not here": "{grade_id}（{points}）：在评分时运行，不在这里运行",
    "{n:g} point": "{n:g} 分",
    "{n:g} points": "{n:g} 分",
    "{n:g} hidden test": "{n:g} 个隐藏测试",
    "{n:g} hidden tests": "{n:g} 个隐藏测试",
    " Fix the failed ones above.": "请修正上面未通过的检查。",
    "{tests} ({points}) run only at grading: this check cannot score them, and passing every visible test does not "
    "earn them.": "{tests}（{points}）只在评分时运行：这里的检查无法给它们打分，通过所有可见测试也不代表能拿到这些分。",
    # --- autograder/engine/feedback.py and its template: the feedback page
    "# (hidden tests ran here at grading; they are not shown)": "# （隐藏测试在评分时于此运行；不予显示）",
    "points": "分",
    "Total:": "总分：",
    "Late submission penalty:": "迟交扣分：",
    "Score:": "得分：",
    "(Top)": "（回到顶部）",
    "Student's answer": "学生的答案",
    "Student's task": "学生的任务",
    "Grade cell:": "评分单元格：",
    "Comments:": "评语：",
    "{assignment}: not graded": "{assignment}：未评分",
    "{assignment}: your submission could not be graded": "{assignment}：你提交的作业无法评分",
    "Nothing was scored. Please check the notebook opens in Jupyter, then contact your instructor.":
        "没有计任何分数。请确认这个笔记本能在 Jupyter 中打开，然后联系你的老师。",
}
