"""Test-split comparison of probe checkpoints: gazeqwen, gazeqwen_shuffled_gaze (checkpoint g) and lora_only (checkpoint l),
per task and pooled over the gaze-dependent tasks, with the exact McNemar p (key=value: model, data, g, l, out, cache, n)."""
import sys, json, collections, logging
from pathlib import Path
from gazeqwen.evaluate import EvalConfig, evaluate
from gazeqwen.synth import TASK_NEEDS
from gazeqwen.stats import mcnemar_p_exact
logging.basicConfig(level=logging.WARNING)
a = dict(x.split('=', 1) for x in sys.argv[1:]); out = Path(a['out'])
rows = {}
for mode, ck in (('gazeqwen', a['g']), ('gazeqwen_shuffled_gaze', a['g']), ('lora_only', a['l'])):
    p = evaluate(EvalConfig(mode=mode, model_path=a['model'], data_root=a['data'], out_path=str(out / f'{mode}.jsonl'), checkpoint=ck,
                            cache_dir=a.get('cache'), max_per_task=int(a.get('n', 100)), num_threads=2, progress=False))
    rows[mode] = {r['question_id']: r for r in map(json.loads, open(p))}
for m, d in rows.items():
    bt = collections.defaultdict(list)
    for r in d.values(): bt[r['task']].append(r['correct'])
    print(m, {t: round(100 * sum(v) / len(v)) for t, v in sorted(bt.items())})
gd = [q for q, r in rows['gazeqwen'].items() if TASK_NEEDS[r['task']] != 'vision only']
acc = {m: round(100 * sum(rows[m][q]['correct'] for q in gd) / len(gd), 1) for m in rows}
b = sum(rows['gazeqwen'][q]['correct'] and not rows['lora_only'][q]['correct'] for q in gd)
c = sum(rows['lora_only'][q]['correct'] and not rows['gazeqwen'][q]['correct'] for q in gd)
print('gaze-dependent pooled (n=%d)' % len(gd), acc, 'b', b, 'c', c, 'p %.3g' % float(mcnemar_p_exact(b, c)))
