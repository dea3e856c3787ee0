import sys, json, time, logging, collections, torch
logging.basicConfig(level=logging.WARNING)
from gazeqwen.train import TrainConfig, train
args = dict(a.split('=',1) for a in sys.argv[1:])
tasks = args.pop('tasks', 'OAR,OI-H,FAP').split(',')
cfg = dict(model_path=args.pop('model','runs/probe/tiny_rand'), data_root=args.pop('data','runs/probe/d250'),
           out_dir=args.pop('out'), cache_dir='runs/probe/cache', tasks=tasks, num_threads=2, progress=False,
           n_latents=8, d_latent=32, resume=False)
import ast
for k,v in args.items(): cfg[k] = ast.literal_eval(v) if v[:1].isdigit() or v[:1] == '-' else v  # numbers as numbers
cfg = TrainConfig(**cfg)
t=time.time(); r = train(cfg)
print(json.dumps(dict(out=cfg.out_dir, mode=cfg.mode, lr=cfg.lr, epochs=cfg.epochs, n=r['n_train_items'], nval=r['n_val_items'],
   hist=[(h['epoch'], round(h['val_acc'],3), round(h['train_loss'],3)) for h in r['history']], sec=round(time.time()-t))))
