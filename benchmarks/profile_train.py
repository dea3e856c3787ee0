"""Where a training run's time goes: forward, backward, optimizer, validation, frozen-output preparation.

Runs `gazeqwen.train.train` twice with the default preset's f_theta size, learning rates and gaze bias: once to fill
the frozen-output cache, once timed. The model and data are the embedded default's when given (`--model-path`,
`--data-root`, e.g. the folders `gazeqwen reproduce` prints), else a small synthetic benchmark (24 videos) with an
untrained tiny base of the same architecture. Everything it writes goes to a temporary folder, removed at the end.
Each phase is timed by wrapping the function that does it; the rest (batching, augmentation, scheduling, saving) is
"other". Prints a Markdown table; `--out` also writes JSON.

    .venv/bin/python benchmarks/profile_train.py [--model-path M --data-root D] [--items 480] [--epochs 2] [--out F]
"""
import argparse, json, os, shutil, sys, tempfile, time
from contextlib import ExitStack, contextmanager
from unittest.mock import patch
from pathlib import Path

import torch

import gazeqwen.train as T
from gazeqwen.stage0 import small_tiny_env
from gazeqwen.utils import numerics_env, provenance


class Clock:
    "Seconds per phase; a phase entered inside another is not counted twice."
    def __init__(self): self.s, self.active = {}, None

    @contextmanager
    def phase(self, name):
        if self.active is not None:  # nested (e.g. forward inside validation): the outer phase keeps the time
            yield; return
        self.active, t = name, time.perf_counter()
        try: yield
        finally:
            self.s[name] = self.s.get(name, 0.0) + time.perf_counter() - t
            self.active = None

    def wrap(self, name, fn):
        def timed(*a, **k):
            with self.phase(name): return fn(*a, **k)
        return timed


def profile(mode: str, n_items: int, epochs: int, threads: int, protocol: str = 'aligned', model_path=None,
            data_root=None) -> dict:
    "Seconds per phase of one timed training run (cache filled beforehand)."
    root = Path(tempfile.mkdtemp(prefix='gq_profile_'))
    mdir, data = (model_path, data_root) if model_path else small_tiny_env(root, n_videos=24)
    cfg = lambda **k: T.TrainConfig(model_path=str(mdir), data_root=str(data), cache_dir=str(root / 'cache'), mode=mode,
                                    protocol=protocol,
                                    epochs=epochs, max_items=n_items, max_val_items=40, items_per_step=8, micro_batch=8,
                                    n_latents=8, d_latent=32, lr=3e-3, lora_lr=1e-3, heatmap_bias=6.0,
                                    num_threads=threads, progress=False, **k)
    T.train(cfg(out_dir=str(root / 'warm'), prepare_only=True))  # frozen outputs into the cache
    clock, OPT = Clock(), 'optimizer (clip, AdamW)'

    base_make_optimizer = T.make_optimizer

    def make_optimizer(*a, **k):  # the run's optimizer, its step timed (the schedule's state is saved: left as it is)
        opt, sched = base_make_optimizer(*a, **k)
        opt.step = clock.wrap(OPT, opt.step)
        return opt, sched
    try:
        with ExitStack() as patches:  # every patch is undone on leaving, also after an error
            for obj, name, label in ((T, 'answer_logits', 'forward'), (T, 'accuracy', 'validation'),
                                     (T, 'prepare_items', 'frozen outputs (read from cache)'),
                                     (torch.Tensor, 'backward', 'backward'), (torch.nn.utils, 'clip_grad_norm_', OPT)):
                patches.enter_context(patch.object(obj, name, clock.wrap(label, getattr(obj, name))))
            patches.enter_context(patch.object(T, 'make_optimizer', make_optimizer))
            t0 = time.perf_counter()
            log = T.train(cfg(out_dir=str(root / 'timed')))
            total = time.perf_counter() - t0
    finally: shutil.rmtree(root, ignore_errors=True)  # the temporary cache, runs and (without --model-path) benchmark
    phases = dict(clock.s)
    phases['other (batching, augmentation, schedule, checkpoints)'] = total - sum(phases.values())
    return dict(mode=mode, protocol=protocol, model_path=str(model_path or 'small untrained tiny base'), items=n_items,
                epochs=epochs, threads=threads, optimizer_steps=len(log['step_losses']),
                total_s=total, seconds=phases)


def table(res: list) -> str:
    names = list(dict.fromkeys(k for r in res for k in r['seconds']))
    head = '| phase | ' + ' | '.join(f"{r['mode']}: s | share" for r in res) + ' |'
    rows = [head, '|---|' + '---|---|' * len(res)]
    for n in names:
        rows.append(f'| {n} | ' + ' | '.join(f"{r['seconds'].get(n, 0):.1f} | {100 * r['seconds'].get(n, 0) / r['total_s']:.0f} %"
                                           for r in res) + ' |')
    rows.append('| total | ' + ' | '.join(f"{r['total_s']:.1f} | 100 %" for r in res) + ' |')
    return '\n'.join(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--mode', nargs='+', default=['gazeqwen', 'lora_only'], choices=['gazeqwen', 'lora_only'],
                    help='training modes to profile (default: both)')
    ap.add_argument('--items', type=int, default=480, help='training items (max_items)')
    ap.add_argument('--epochs', type=int, default=2, help='epochs over them')
    ap.add_argument('--threads', type=int, default=2, help='torch threads')
    ap.add_argument('--protocol', default='aligned', choices=['aligned', 'reference'], help='training protocol')
    ap.add_argument('--model-path', help='tiny (or real) Qwen2.5-VL folder, e.g. the embedded default (with --data-root)')
    ap.add_argument('--data-root', help='dataset folder (with --model-path)')
    ap.add_argument('--numerics', default='pinned', choices=['pinned', 'native'],
                    help="numeric path: 'pinned' as gazeqwen reproduce runs (restarts this script under it), or 'native'")
    ap.add_argument('--out', help='also write the results as JSON here')
    a = ap.parse_args(argv)
    if bool(a.model_path) != bool(a.data_root): ap.error('give --model-path and --data-root together')
    if a.numerics == 'pinned' and os.environ.get('GAZEQWEN_NUMERICS') != 'pinned':
        os.execve(sys.executable, [sys.executable, *sys.argv], numerics_env('pinned'))
    res = [profile(m, a.items, a.epochs, a.threads, a.protocol, a.model_path, a.data_root) for m in a.mode]
    print(table(res))
    if a.out:
        Path(a.out).write_text(json.dumps(dict(results=res, provenance=provenance(vars(a))), indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
