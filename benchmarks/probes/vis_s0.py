"""Can stage 0 teach the LM to read the visual tokens once the vision tower sees colour (vis.py)? Stage 0 on questions
answerable from colour alone: 'position' with the object's colour in the question ("Where is the red ball in the
view?") and 'count'. key=value: base (vis.py output), out, data, n, epochs."""
import sys, json, shutil
from pathlib import Path
import gazeqwen.stage0 as s0
from gazeqwen.synth import load_synth
a = dict(x.split('=', 1) for x in sys.argv[1:])
base, out, root = Path(a.get('base', 'runs/probe/tiny_vis')), Path(a['out']), Path(a.get('data', 'runs/probe/d800c'))
shutil.copytree(base, out, dirs_exist_ok=True)
meta = load_synth(root); orig = s0.stage0_questions

def coloured(data_root, split, n, seed=0, window_s=4.0):
    "Stage-0 records of kinds position (colour named in the question) and count."
    from gazeqwen.synth import make_stage0_questions, parse_time
    recs = []
    for e in make_stage0_questions(data_root, n, seed, window_s=window_s, option_order='canonical', split=split, kinds=('position', 'count')):
        q = e['questions'][0]; t = float(parse_time(q['time_stamp'])); text = q['question']
        if text.startswith('Where is the '):
            name = text.split()[3]; v = meta['videos'][e['video_path'][:-4]]
            col = next(o['colour'] for o in v['objects'] if o['name'] == name); text = text.replace(f'the {name}', f'the {col} {name}')
        recs.append(dict(video=e['video_path'], clip_start=max(0.0, t - window_s), clip_end=t, question=text,
                         options=q['options'], answer=q['answer'], kind=q['task_type'].removeprefix('stage0_')))
    return recs

s0.stage0_questions = coloured
rep = s0.train_stage0(out, root, s0.Stage0Config(n_train=int(a.get('n', 3200)), epochs=int(a.get('epochs', 3)), num_threads=2), progress=False)
print('stage 0', rep['val_before'], rep['val_after'], {k: v['acc'] for k, v in rep['val_after_by_kind'].items()}, round(rep['seconds']), flush=True)
