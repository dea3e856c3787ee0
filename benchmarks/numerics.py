#!/usr/bin/env python
"""Pinned numerics: does a training run give the same bits under other CPU kernel settings, and what does pinning cost?

    python benchmarks/numerics.py --out results/numerics.json      # ~10 min on 2 busy cores

Builds a small synthetic benchmark and an untrained tiny Qwen2.5-VL (with its narrow V-JEPA) in a temporary folder,
then, for each environment below, starts a fresh process that fills its own frozen-output cache (decode, vision tower,
V-JEPA), trains a `gazeqwen` run (f_theta + LoRA, aligned protocol, two epochs of 64 items) and evaluates its checkpoint:

  native               this CPU's own kernels (AVX-512 here)
  native_other_cpu     ATEN_CPU_CAPABILITY=default: PyTorch's non-vectorised kernels, as a CPU without AVX2 would run
  emulated_avx2        an AVX2-only machine's choices, set with each library's own cap (ATEN_CPU_CAPABILITY=avx2,
                       MKL_ENABLE_INSTRUCTIONS=AVX2, ONEDNN_MAX_CPU_ISA=AVX2, numpy's AVX-512 off), 2 threads
  pinned               `gazeqwen.utils.numerics_env('pinned')`, the environment of `gazeqwen reproduce`
  pinned_from_default  the same, started from ATEN_CPU_CAPABILITY=default (pinning overrides what it pins)
  pinned_from_avx2     the same, started from the emulated AVX2 machine's environment
  pinned_1_thread      pinned, but one thread (what pinning's fixed thread count protects against)

It compares, bit for bit, every optimizer step's training loss, every tensor of the trained checkpoint and every
answer logit of the evaluation with those of `pinned` (and of `native`), and times native against pinned.
"""
from __future__ import annotations
import argparse, hashlib, json, os, subprocess, sys, tempfile, time
from pathlib import Path

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')

AVX2_MACHINE = {'ATEN_CPU_CAPABILITY': 'avx2', 'MKL_ENABLE_INSTRUCTIONS': 'AVX2', 'ONEDNN_MAX_CPU_ISA': 'AVX2',
                'OMP_NUM_THREADS': '2'}


def settings() -> dict:
    "name -> environment of the child process."
    from gazeqwen.utils import numerics_env, pinned_numerics
    avx2 = dict(AVX2_MACHINE)
    npy = pinned_numerics().get('NPY_DISABLE_CPU_FEATURES')
    if npy: avx2['NPY_DISABLE_CPU_FEATURES'] = npy
    base = {k: v for k, v in os.environ.items() if k not in pinned_numerics() and k != 'MKL_ENABLE_INSTRUCTIONS'}
    one = numerics_env('pinned', base); one.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    return {'native': numerics_env('native', base),
            'native_other_cpu': numerics_env('native', {**base, 'ATEN_CPU_CAPABILITY': 'default'}),
            'emulated_avx2': numerics_env('native', {**base, **avx2}),
            'pinned': numerics_env('pinned', base),
            'pinned_from_default': numerics_env('pinned', {**base, 'ATEN_CPU_CAPABILITY': 'default'}),
            'pinned_from_avx2': numerics_env('pinned', {**base, **avx2}),
            'pinned_1_thread': one}


def build(root: Path) -> tuple:
    "A small synthetic benchmark and an untrained tiny model with its V-JEPA (built once, in this process)."
    from gazeqwen.stage0 import small_tiny_env
    return small_tiny_env(root, n_videos=6, option_order='canonical')


def tensor_digest(sd: dict) -> str:
    "sha256 over every tensor's bytes, in key order."
    h = hashlib.sha256()
    for k in sorted(sd):
        v = sd[k]
        if hasattr(v, 'numpy'): h.update(k.encode()); h.update(v.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()


def child(model: str, data: str, work: str) -> dict:
    "Train and evaluate once under this process's environment; the bits that matter, and the seconds."
    import torch
    from gazeqwen.train import TrainConfig, train
    from gazeqwen.evaluate import EvalConfig, evaluate
    from gazeqwen.utils import numerics_state
    work = Path(work)
    t0 = time.time()
    log = train(TrainConfig(model_path=model, data_root=data, out_dir=str(work / 'run'), cache_dir=str(work / 'cache'),
                            mode='gazeqwen', protocol='aligned', epochs=2, max_items=64, max_val_items=8,
                            items_per_step=4, micro_batch=4, n_latents=8, d_latent=32, lr=3e-3, lora_lr=1e-3,
                            heatmap_bias=6.0, progress=False))
    t_train = time.time() - t0
    ck = torch.load(work / 'run' / 'last.pt', weights_only=True)
    weights = {**{f'f_theta.{k}': v for k, v in ck['state_dict'].items()}, **ck['lora_state_dict']}
    out = evaluate(EvalConfig(mode='gazeqwen', model_path=model, data_root=data, out_path=str(work / 'pred.jsonl'),
                              checkpoint=str(work / 'run' / 'best_model.pt'), cache_dir=str(work / 'cache'),
                              max_items=24, progress=False))
    rows = [json.loads(l) for l in Path(out).read_text().splitlines()]
    logits = [r['probs'] for r in rows]  # softmax of the answer logits, 6 decimals
    return {'numerics': numerics_state(), 'step_losses': [float(x).hex() for x in log['step_losses']],
            'weights_sha256': tensor_digest(weights),
            'logits_sha256': hashlib.sha256(json.dumps(logits).encode()).hexdigest(),
            'predictions': [r['prediction'] for r in rows], 'n_eval': len(rows),
            'seconds': {'total': round(time.time() - t0, 1), 'train': round(t_train, 1),
                        'train_rest': log['seconds']['rest']}}


def run_child(name: str, env: dict, model: Path, data: Path, work: Path) -> dict:
    "One child process; its JSON answer."
    w = work / name
    p = subprocess.run([sys.executable, __file__, '--child', str(model), str(data), str(w)], env=env,
                       capture_output=True, text=True)
    if p.returncode: raise RuntimeError(f'{name}: child failed:\n{p.stderr[-3000:]}')
    return json.loads(p.stdout.strip().splitlines()[-1])


def compare(a: dict, b: dict) -> dict:
    "Which of the compared bits agree; at which step the losses first differ (None: never)."
    first = next((i for i, (x, y) in enumerate(zip(a['step_losses'], b['step_losses'])) if x != y), None)
    d0 = abs(float.fromhex(a['step_losses'][0]) - float.fromhex(b['step_losses'][0]))
    return {'losses_identical': a['step_losses'] == b['step_losses'], 'first_differing_step': first,
            'step0_loss_abs_diff': d0, 'weights_identical': a['weights_sha256'] == b['weights_sha256'],
            'logits_identical': a['logits_sha256'] == b['logits_sha256'],
            'predictions_changed': sum(x != y for x, y in zip(a['predictions'], b['predictions']))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=None, help='JSON file for the results (default: print only)')
    ap.add_argument('--table', default=None, help='Markdown table of the comparison (README includes results/tables/numerics.md)')
    ap.add_argument('--timing-rounds', type=int, default=2, help='extra interleaved native/pinned rounds for the time ratio')
    ap.add_argument('--child', nargs=3, metavar=('MODEL', 'DATA', 'WORK'), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(*a.child))); return
    from gazeqwen.utils import provenance, write_json
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        model, data = build(d)
        envs = settings()
        res = {}
        for name, env in envs.items():
            res[name] = run_child(name, env, model, data, d / 'w')
            print(f"{name:20s} {res[name]['numerics']['torch_cpu_capability']:8s} threads {res[name]['numerics']['torch_threads']} "
                  f"loss[0] {float.fromhex(res[name]['step_losses'][0]):.9f}  weights {res[name]['weights_sha256'][:12]}  "
                  f"{res[name]['seconds']['total']:.0f} s", flush=True)
        times = {'native': [res['native']['seconds']['total']], 'pinned': [res['pinned']['seconds']['total']]}
        for r in range(a.timing_rounds):
            for name in ('native', 'pinned'):
                times[name].append(run_child(name, envs[name], model, data, d / f't{r}')['seconds']['total'])
    ratios = [p / n for p, n in zip(times['pinned'], times['native'])]
    out = {'settings': {k: {'numerics': v['numerics'], 'seconds': v['seconds'], 'n_eval': v['n_eval'],
                            'step_losses': len(v['step_losses'])} for k, v in res.items()},
           'vs_pinned': {k: compare(res['pinned'], v) for k, v in res.items() if k != 'pinned'},
           'vs_native': {k: compare(res['native'], v) for k, v in res.items() if k != 'native'},
           'time_seconds': times, 'time_ratio_pinned_over_native': sorted(ratios)[len(ratios) // 2],
           'provenance': provenance({'timing_rounds': a.timing_rounds})}
    print(json.dumps({'vs_pinned': out['vs_pinned'], 'time_ratio_pinned_over_native': out['time_ratio_pinned_over_native']}, indent=1))
    if a.out: write_json(a.out, out)
    if a.table: Path(a.table).parent.mkdir(parents=True, exist_ok=True); Path(a.table).write_text(markdown(out) + '\n')


LABELS = {'native': "this CPU's own kernels", 'native_other_cpu': 'PyTorch without SIMD (`ATEN_CPU_CAPABILITY=default`)',
          'emulated_avx2': "an AVX2 machine's choices, not pinned", 'pinned': 'pinned (`gazeqwen reproduce`)',
          'pinned_from_default': 'pinned, started from `ATEN_CPU_CAPABILITY=default`',
          'pinned_from_avx2': "pinned, started from an AVX2 machine's choices", 'pinned_1_thread': 'pinned, but 1 thread'}


def markdown(out: dict) -> str:
    "The comparison as a README table: each setting against the pinned run, bit for bit."
    rows = ['| numeric path | PyTorch kernels, threads | training losses | first differing step | loss difference at step 0 | '
            'trained weights | answer probabilities | answers changed |', '|---|---|---|---|---|---|---|---|']
    yes = lambda b: 'identical' if b else 'differ'
    for k, s in out['settings'].items():
        n = s['numerics']
        if k == 'pinned':
            rows.append(f"| {LABELS[k]} | {n['torch_cpu_capability']}, {n['torch_threads']} | (reference) | | | | | |"); continue
        c = out['vs_pinned'][k]
        first = '' if c['first_differing_step'] is None else str(c['first_differing_step'])
        rows.append(f"| {LABELS.get(k, k)} | {n['torch_cpu_capability']}, {n['torch_threads']} | {yes(c['losses_identical'])} | "
                    f"{first} | {c['step0_loss_abs_diff']:.1e} | {yes(c['weights_identical'])} | {yes(c['logits_identical'])} | "
                    f"{c['predictions_changed']} of {s['n_eval']} |")
    steps = next(iter(out['settings'].values()))['step_losses']
    rows += ['', f"One `gazeqwen` training ({steps} optimizer steps over 2 epochs, f_theta + LoRA, aligned protocol) and its evaluation, each in "
             f"a fresh process on this machine (`benchmarks/numerics.py`). Time, pinned over native (median of "
             f"{len(out['time_seconds']['native'])} interleaved runs): {out['time_ratio_pinned_over_native']:.2f}x."]
    return '\n'.join(rows)


if __name__ == '__main__':
    main()
