import torch, numpy as np, sys
from gazeqwen.pipeline import load_backbone, get_protocol, prepare_items, answer_logits, make_batch
from gazeqwen.train import load_split_items
torch.set_num_threads(2)
model = sys.argv[1]
P = get_protocol('aligned'); bb = load_backbone(model, None, 'cpu', None, 'sdpa')
va = load_split_items('runs/probe/d250', 'val', P, ['OAR'], None, max_per_task=16, seed=0)
pva = prepare_items(va, bb, P.max_frames_eval, 'runs/probe/cache', progress=False)
layers = bb.model.model.language_model.layers
kw = make_batch(pva, bb.pad_id)
vid = (kw['mm_token_type_ids'] == 2)
state = {}
def hook(m, a, out):
    h = out[0] if isinstance(out, tuple) else out
    state.setdefault('norm', h[vid].norm(dim=-1).mean().item())
    if 'scale' in state:
        g = torch.Generator().manual_seed(0)
        noise = torch.randn(h.shape, generator=g) * state['scale']
        h = h + noise * vid[..., None]
        return (h,) + tuple(out[1:]) if isinstance(out, tuple) else h
with torch.no_grad():
    base = bb.model(**kw).logits[:, -1, bb.letter_ids]
    print('letter logits std across items', base.std(0).mean().item(), 'spread within item', (base.max(1).values - base.min(1).values).mean().item())
    hd = layers[1].register_forward_hook(hook)
    bb.model(**kw); print('visual hidden norm at layer 1', state['norm'])
    for sc in [0.01, 0.1, 1.0, 10.0]:
        state['scale'] = sc
        lg = bb.model(**kw).logits[:, -1, bb.letter_ids]
        print('noise std', sc, 'mean |dlogit|', (lg - base).abs().mean().item(), 'pred change', (lg.argmax(1) != base.argmax(1)).float().mean().item())
    hd.remove()
