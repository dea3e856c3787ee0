import sys, time, torch, numpy as np
from gazeqwen.pipeline import load_backbone, get_protocol, prepare_items, answer_logits, answer_loss, make_batch
from gazeqwen.train import load_split_items
from gazeqwen.lora import apply_lora, get_lora_params
torch.set_num_threads(2)
args = dict(a.split('=',1) for a in sys.argv[1:])
model = args.get('model', 'runs/probe/tiny_rand'); lr = float(args.get('lr', 3e-3)); init = float(args.get('init', 0.02))
P = get_protocol('aligned'); bb = load_backbone(model, None, 'cpu', None, 'sdpa')
tr = load_split_items('runs/probe/d250', 'train', P, ['OAR'], None, max_per_task=400, seed=0)
ptr = prepare_items(tr, bb, P.max_frames_train, 'runs/probe/cache', progress=False)
torch.manual_seed(0); apply_lora(bb.model, rank=8, alpha=16.0); lp = get_lora_params(bb.model)
for p in lp: p.requires_grad_(True)
emb = torch.nn.Parameter(torch.randn(4, 128) * init)
cur = {}
def hook(m, a, out):
    h = out[0] if isinstance(out, tuple) else out
    h = h + (emb[cur['lab']] * cur['vid'][..., None]).sum(0) if False else h + torch.einsum('btk,kd->btd', cur['lab'], emb) * cur['vid'][..., None]
    return (h,) + tuple(out[1:]) if isinstance(out, tuple) else h
bb.model.model.language_model.layers[int(args.get('layer', 1))].register_forward_hook(hook)
opt = torch.optim.AdamW([{'params': lp}, {'params': [emb]}], lr=lr, weight_decay=0)
rng = np.random.default_rng(0); L = []; R = []
for s in range(1, int(args.get('steps', 300)) + 1):
    b = [ptr[i] for i in rng.choice(len(ptr), 8, replace=False)]
    kw = make_batch(b, bb.pad_id); cur['vid'] = (kw['mm_token_type_ids'] == 2).float(); cur['y'] = torch.tensor([p.answer_index for p in b])
    # per-token label one-hot: last temporal step gets the answer, earlier steps random distractor labels
    vid = cur['vid']; lab = torch.zeros(*vid.shape, 4)
    for i, p in enumerate(b):
        pos = vid[i].nonzero().flatten(); T = p.T; per = len(pos) // T
        for t in range(T):
            k = p.answer_index if t == T - 1 else int(rng.integers(4))
            lab[i, pos[t*per:(t+1)*per], k] = 1
    cur['lab'] = lab
    lg = bb.model(**kw).logits[:, -1, bb.letter_ids].float()
    loss = torch.nn.functional.cross_entropy(lg, cur['y']); loss.backward(); opt.step(); opt.zero_grad()
    L.append(float(loss)); R += (lg.argmax(1) == cur['y']).tolist()
    if s % 50 == 0: print(s, round(np.mean(L[-50:]), 3), 'acc', round(np.mean(R[-400:]), 3), flush=True)
