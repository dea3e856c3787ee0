"""StreamGaze interop on a small synthetic benchmark: items with 5 and 8 options load, train one step and evaluate over
their own letters; StreamGaze's time rule reads our proactive files; a clip ending at 0 s; `gazeqwen export` result
files rescored by StreamGaze's rule match `gazeqwen report`'s table; `--prompt streamgaze` reaches the model."""
import contextlib, io, json, math, re
from pathlib import Path
import pytest

LETTERS = 'ABCDEFGH'


@pytest.fixture(scope='module')
def wide_env(tmp_path_factory):
    "(model_path, data_root): synth --small with 8-option OAR questions (every second one cut to 5), a random tiny model."
    from gazeqwen.synth import SynthConfig, generate_dataset
    from gazeqwen.pipeline import build_tiny_backbone
    from gazeqwen.stage0 import dataset_words
    root = tmp_path_factory.mktemp('wide_env')
    data = root / 'data'
    generate_dataset(data, SynthConfig.small(n_videos=6, option_order='canonical', oar_options=8), progress=False)
    f = data / 'qa' / 'present_object_attribute_recognition.json'
    entries = json.loads(f.read_text())
    for e in entries[::2]:  # keep the answer and the first four distractors, relabelled A-E
        q = e['questions'][0]
        texts = [o[3:] for o in q['options']]; ans = texts[LETTERS.index(q['answer'])]
        others = [t for t in texts if t != ans][:4]
        keep = [t for t in texts if t == ans or t in others]
        q['options'] = [f'{L}. {t}' for L, t in zip(LETTERS, keep)]; q['answer'] = LETTERS[keep.index(ans)]
    f.write_text(json.dumps(entries, indent=1))
    return build_tiny_backbone(root / 'tiny', seed=0, extra_words=dataset_words(data)), data


def _n_options(data):
    "{question_id: option count} of the OAR file."
    qa = json.loads((data / 'qa' / 'present_object_attribute_recognition.json').read_text())
    return {f'present_object_attribute_recognition/{i}/0': len(e['questions'][0]['options']) for i, e in enumerate(qa)}


def test_five_and_eight_options_load_train_and_evaluate(wide_env, tmp_path):
    import gazeqwen.train as T
    from gazeqwen.pipeline import get_protocol
    from gazeqwen.evaluate import EvalConfig, evaluate
    from gazeqwen.stats import read_predictions
    from gazeqwen.utils import read_jsonl
    model, data = wide_env
    n_opt = _n_options(data)
    assert set(n_opt.values()) == {5, 8}
    items = T.load_split_items(str(data), 'train', get_protocol('aligned'), tasks=['OAR'])
    assert {len(it.options) for it in items} == {5, 8} and {it.answer for it in items} - set('ABCD')
    cache = tmp_path / 'cache'
    log = T.train(T.TrainConfig(model_path=str(model), data_root=str(data), out_dir=str(tmp_path / 'run'), tasks=['OAR'],
                                epochs=1, max_items=4, max_val_items=4, items_per_step=4, micro_batch=4, d_latent=16,
                                n_latents=4, progress=False, num_threads=1, cache_dir=str(cache)))
    assert len(log['history']) == 1 and math.isfinite(log['history'][0]['train_loss'])
    assert (tmp_path / 'run' / 'best_model.pt').is_file()
    out = evaluate(EvalConfig(mode='gazeqwen', model_path=str(model), data_root=str(data), out_path=str(tmp_path / 'p.jsonl'),
                              checkpoint=str(tmp_path / 'run' / 'best_model.pt'), tasks=['OAR'], split='test',
                              batch_size=4, cache_dir=str(cache), num_threads=1, progress=False))
    rows = read_jsonl(out)
    read_predictions(out)  # valid rows (prediction = arg-max of probs)
    assert {n_opt[r['question_id']] for r in rows} == {5, 8}
    for r in rows:
        n = n_opt[r['question_id']]
        assert len(r['probs']) >= n and all(p == 0 for p in r['probs'][n:]) and abs(sum(r['probs'][:n]) - 1) < 1e-4
        assert all(p > 0 for p in r['probs'][:n]) and r['prediction'] in LETTERS[:n] and r['answer'] in LETTERS[:n]


def _sg_seconds(s):
    "StreamGaze's benchmark readers' time rule: split at ':' and read whole numbers (a number has no .split)."
    parts = s.split(':')
    if len(parts) == 3: return int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
    if len(parts) == 2: return int(parts[0]) * 60 + int(parts[1])
    return int(parts[0])


def test_streamgaze_time_rule_reads_our_proactive_files(wide_env):
    from gazeqwen.data import GazeLensDataset
    model, data = wide_env
    n_points = 0
    for stem in ('proactive_gaze_triggered_alert', 'proactive_object_appearance_alert'):
        qa = json.loads((data / 'qa' / f'{stem}.json').read_text())
        files = [data / 'qa' / f'{stem}.json']
        ours = {w: {it.question_id: it for it in GazeLensDataset(files, data / 'videos', data / 'fixations', proactive_window=w)}
                for w in ('from_start', 'input_clip')}
        for ei, e in enumerate(qa):
            q = e['questions'][0]
            _sg_seconds(q['time_stamp'])
            for pi, p in enumerate(q['test_info']):
                end = _sg_seconds(p['realtime'])  # a float realtime would raise AttributeError here
                a, b = ours['from_start'][f'{stem}/{ei}/0/{pi}'].clip, ours['input_clip'][f'{stem}/{ei}/0/{pi}'].clip
                assert a == (0.0, end) and b == tuple(p['input_video_clip']) and b[1] == end
                n_points += 1
    assert n_points > 0


def test_clip_ending_at_zero_is_one_frame_or_a_counted_skip(wide_env, tmp_path):
    import shutil
    from gazeqwen.evaluate import EvalConfig, evaluate
    from gazeqwen.data import GazeLensDataset
    from gazeqwen.utils import read_jsonl
    model, data = wide_env
    d = tmp_path / 'data'; shutil.copytree(data, d, ignore=shutil.ignore_patterns('gaze_raw'))
    vid = json.loads((d / 'split.json').read_text())['test'][0]
    (d / 'qa' / 'present_object_identification_hard.json').write_text(json.dumps([{'video_path': vid, 'questions': [
        dict(question='Which object is the user currently gazing at?', time_stamp='00:00', answer='B',
             options=['A. ball', 'B. box', 'C. cone', 'D. donut'], task_type='Object_Identification')]}]))
    (d / 'qa' / 'proactive_object_appearance_alert.json').write_text(json.dumps([{'video': vid, 'questions': [
        dict(question='Alert me when the ball appears.', time_stamp='00:00', test_info=[{'realtime': '00:00', 'type': 0}])]}]))
    out = evaluate(EvalConfig(mode='no_gaze', model_path=str(model), data_root=str(d), out_path=str(tmp_path / 'z.jsonl'),
                              tasks=['OI-H', 'OAA'], split='test', num_threads=1, progress=False))
    rows = {r['question_id']: r for r in read_jsonl(out)}
    assert set(rows) == {'present_object_identification_hard/0/0', 'proactive_object_appearance_alert/0/0/0'}
    skip = GazeLensDataset(sorted((d / 'qa').glob('*.json')), d / 'videos', d / 'fixations', zero_clip='skip')
    assert [w for w, why in skip.skipped if 'zero-length clip' in why] == [
        f'{d / "qa"}/present_object_identification_hard.json entry 0 question 0',
        f'{d / "qa"}/proactive_object_appearance_alert.json entry 0 question 0 test_info 0']


def _sg_letter(text):
    "StreamGaze's answer rule: the first standalone A-D in the upper-cased text, else the whole upper-cased text."
    s = str(text).strip().upper()
    m = re.search(r'\b([ABCD])\b', s)
    return m.group(1) if m else s


def _sg_accuracy(path):
    "Accuracy (%) of one `<stem>_output.json` by StreamGaze's scoring rule, and the count."
    data = json.loads(Path(path).read_text())
    right = total = 0
    if 'test_info' in data[0]['questions'][0]:
        for e in data:
            for q in e['questions']:
                for t in q['test_info']:
                    total += 1; right += ('YES' if t['type'] == 1 else 'NO') in str(t.get('response', '')).upper()
    else:
        for e in data:
            for q, p in zip(e['questions'], e.get('model_predictions', [])):
                total += 1; right += _sg_letter(q['answer']) == _sg_letter(p['model_prediction'])
    return 100 * right / total, total


def test_export_rescored_by_streamgaze_rule_matches_report(wide_env, tmp_path):
    from gazeqwen.cli import main
    from gazeqwen.evaluate import EvalConfig, evaluate
    from gazeqwen.data import TASKS, task_for_file
    model, data = wide_env
    res = tmp_path / 'results'
    pred = evaluate(EvalConfig(mode='no_gaze', model_path=str(model), data_root=str(data), split='test', max_per_task=5,
                               out_path=str(res / 'eval_aligned_no_gaze' / 'predictions.jsonl'), num_threads=1, progress=False))
    out = tmp_path / 'sg'
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(['export', '--format', 'streamgaze', str(pred), '--qa-root', str(data), '--out', str(out)]) == 0
        assert main(['report', '--results', str(res), '--no-figures', '--no-readme']) == 0
    sg = {task_for_file(f).abbr: _sg_accuracy(f) for f in sorted(out.glob('*_output.json'))}
    table = {}
    for line in (res / 'tables' / 'accuracy_aligned.md').read_text().splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        if len(cells) == 3 and re.fullmatch(r'\d+\.\d', cells[1]): table[cells[0]] = (float(cells[1]), int(cells[2]))
    assert set(sg) == {t for t in TASKS if t in table} and len(sg) >= 8
    for t, (acc, n) in sg.items():
        assert n == table[t][1] and abs(acc - table[t][0]) <= 0.05 + 1e-9, (t, acc, table[t])  # the table rounds to 0.1
    macro = sum(a for a, _ in sg.values()) / len(sg)
    assert abs(macro - table['Overall (macro)'][0]) <= 0.05 + 1e-9, (macro, table['Overall (macro)'])
    assert {json.loads(f.read_text())[0].get('model_predictions') is None for f in out.glob('proactive_*')} == {True}


def test_prompt_streamgaze_reaches_the_model(wide_env, tmp_path, monkeypatch):
    import gazeqwen.pipeline as P
    from gazeqwen.evaluate import EvalConfig, evaluate, SG_LETTER_LINE
    from gazeqwen.utils import read_jsonl
    model, data = wide_env
    texts, orig = [], P._compute_frozen
    def spy(bb, clips, t):
        texts.extend(t); return orig(bb, clips, t)
    monkeypatch.setattr(P, '_compute_frozen', spy)
    kw = dict(mode='no_gaze', model_path=str(model), data_root=str(data), tasks=['OI-H', 'GTA'], max_per_task=2,
              split='test', num_threads=1, progress=False, cache_dir=str(tmp_path / 'cache'))
    sg = read_jsonl(evaluate(EvalConfig(**kw, out_path=str(tmp_path / 'sg.jsonl'), prompt='streamgaze')))
    n_sg = len(texts)
    base = read_jsonl(evaluate(EvalConfig(**kw, out_path=str(tmp_path / 'base.jsonl'))))
    assert n_sg == len(sg) and len(texts) == 2 * n_sg  # a different wording is a different cache entry
    assert sum(SG_LETTER_LINE in t for t in texts[:n_sg]) == sum(r['task'] == 'OI-H' for r in sg) > 0
    assert sum('Answer only with "Yes" or "No".' in t for t in texts[:n_sg]) == sum(r['task'] == 'GTA' for r in sg) > 0
    assert not any(SG_LETTER_LINE in t or '"Yes"' in t for t in texts[n_sg:])
    assert [r['question_id'] for r in sg] == [r['question_id'] for r in base]
    assert all(r['prediction'] in 'AB' for r in sg if r['task'] == 'GTA')
    assert any(a['probs'] != b['probs'] for a, b in zip(sg, base))
