"""One unreadable video does not end a run: with on_error='skip' the questions on a truncated, an empty and a missing
video are left out, counted per reason and named (evaluation: row-less records that a resumed run does not retry,
and the report's reduced n); with on_error='raise' the run stops at the first with one line naming the file and the
question, exit status 2, the rows before it kept. A SIGKILL while the cache is being filled leaves it readable."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch
import gazeqwen.train as T
from gazeqwen.data import GazeDataError
from gazeqwen.pipeline import get_protocol
from gazeqwen.report import render_tables
from gazeqwen.utils import ResumeMismatchError

BIN = Path(sys.executable).parent
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}
TRUNC, EMPTY, GONE = 'synth_0001.mp4', 'synth_0003.mp4', 'synth_0004.mp4'   # train-split videos of the tiny data


def _broken(data, dst, which=(TRUNC, EMPTY, GONE)):
    "A copy of the data folder with a truncated (first 3000 bytes), an empty and a missing video."
    shutil.copytree(data, dst)
    v = dst / 'videos'
    if TRUNC in which: (v / TRUNC).write_bytes((v / TRUNC).read_bytes()[:3000])
    if EMPTY in which: (v / EMPTY).write_bytes(b'')
    if GONE in which: (v / GONE).unlink()
    return dst


def _items(data):
    return T.load_split_items(str(data), 'train', get_protocol('aligned'), max_per_task=2, on_error='skip')


def _eval_cmd(model, data, out, *extra):
    return [str(BIN / 'gazeqwen'), 'evaluate', '--mode', 'no_gaze', '--model-path', str(model), '--data-root', str(data),
            '--out-path', str(out), '--split', 'train', '--max-per-task', '2', '--batch-size', '4', '--progress', 'false',
            '--num-threads', '1', '--cache-dir', str(Path(out).parent / 'cache'), *extra]


def test_evaluate_skips_counts_and_reports(tiny_env, tmp_path):
    model, data = tiny_env
    bad = _broken(data, tmp_path / 'data')
    items = _items(bad)
    expect = {it.question_id: Path(it.video).name for it in items if Path(it.video).name in (TRUNC, EMPTY, GONE)}
    assert {TRUNC, EMPTY, GONE} <= set(expect.values()) and len(expect) < len(items)
    out = tmp_path / 'eval_aligned_no_gaze' / 'predictions.jsonl'
    r = subprocess.run(_eval_cmd(model, bad, out), env=ENV, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    n_rows, n_all = len(items) - len(expect), len(items)
    assert (f'left out {len(expect)} of {n_all} questions: ' in r.stdout and 'unreadable video' in r.stdout
            and 'missing video' in r.stdout), r.stdout
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert len(rows) == n_rows and not {x['question_id'] for x in rows} & set(expect)
    skips = [json.loads(l) for l in (out.parent / 'predictions.skipped.jsonl').read_text().splitlines()]
    assert {s['question_id']: Path(s['video']).name for s in skips} == expect
    reasons = {Path(s['video']).name: s['reason'] for s in skips}
    assert reasons == {TRUNC: 'unreadable video', EMPTY: 'unreadable video', GONE: 'missing video'}
    meta = json.loads((out.parent / 'predictions.meta.json').read_text())
    assert meta['n_skipped'] == len(expect) and sum(meta['reasons'].values()) == len(expect)
    assert meta['videos'] == {'unreadable video': 2, 'missing video': 1} and len(meta['skipped']) == len(expect)
    # the same command again: nothing retried, nothing rewritten, and it says why
    before = out.read_bytes(), (out.parent / 'predictions.skipped.jsonl').read_bytes()
    r = subprocess.run(_eval_cmd(model, bad, out), env=ENV, capture_output=True, text=True)
    assert r.returncode == 0 and 'not retried' in r.stderr, r.stderr[-3000:]
    assert (out.read_bytes(), (out.parent / 'predictions.skipped.jsonl').read_bytes()) == before
    # the report: the reduced n under the caption
    files, summary = render_tables(tmp_path, n_boot=50)
    per_video = {v: sum(1 for x in expect.values() if x == v) for v in (TRUNC, EMPTY, GONE)}
    note = (f'*n = {n_rows} of {n_all}; 2 unreadable videos ({per_video[TRUNC] + per_video[EMPTY]} questions), '
            f'1 missing video ({per_video[GONE]} questions).*')
    assert files['tables/accuracy_aligned.md'].split('\n\n')[1] == note, files['tables/accuracy_aligned.md'][:400]


def test_raise_stops_with_one_line(tiny_env, tmp_path):
    model, data = tiny_env
    one = _broken(data, tmp_path / 'one', which=(TRUNC,))
    items = _items(one)
    first_bad = next(k for k, it in enumerate(items) if Path(it.video).name == TRUNC)
    assert first_bad >= 4, 'the truncated video should not be in the first batch'
    out = tmp_path / 'p.jsonl'
    r = subprocess.run(_eval_cmd(model, one, out, '--on-error', 'raise'), env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith('gazeqwen evaluate: error: ') and f'{one / "videos" / TRUNC}: cannot open video' in line, line
    assert line.endswith(f'(question {items[first_bad].question_id})'), line
    kept = [json.loads(l)['question_id'] for l in out.read_text().splitlines()]
    assert kept == [it.question_id for it in items[:first_bad // 4 * 4]]   # every batch before the bad one
    # training (default on_error='raise'): the missing video stops it before any work, naming file and question
    three = _broken(data, tmp_path / 'three')
    cfg = dict(model_path=str(model), data_root=str(three), out_dir=str(tmp_path / 'run'), epochs=1, max_per_task=2,
               items_per_step=4, micro_batch=4, d_latent=16, n_latents=4, progress=False, num_threads=1,
               cache_dir=str(tmp_path / 'cache'))
    with pytest.raises(GazeDataError, match=rf'{GONE}: video not found \(question '): T.train(T.TrainConfig(**cfg))
    assert not (tmp_path / 'run' / 'last.pt').exists()


def test_train_skip_mode(tiny_env, tmp_path):
    model, data = tiny_env
    bad = _broken(data, tmp_path / 'data')
    items = _items(bad)
    expect = {it.question_id for it in items if Path(it.video).name in (TRUNC, EMPTY, GONE)}
    cfg = dict(model_path=str(model), data_root=str(bad), out_dir=str(tmp_path / 'run'), epochs=1, max_per_task=2,
               items_per_step=4, micro_batch=4, d_latent=16, n_latents=4, progress=False, num_threads=1,
               cache_dir=str(tmp_path / 'cache'), on_error='skip', skip_empty_scanpath=False)
    log = T.train(T.TrainConfig(**cfg))
    assert log['n_skipped'] == len(expect) and {s['question_id'] for s in log['skipped']} == expect
    assert log['n_train_items'] == len(items) - len(expect) == log['history'][0]['n_items']
    assert set(log['skipped_reasons']) == {'unreadable video', 'missing video'}
    assert json.loads((tmp_path / 'run' / 'train_log.json').read_text())['n_skipped'] == len(expect)
    assert len(log['step_losses']) == -(-log['n_train_items'] // 4)   # the schedule counts the kept items only
    # same settings and data, but a decoder that now reads the truncated video: the resume would train other items
    import gazeqwen.pipeline as P
    orig = P.read_clip
    def reads_more(path, *a, **k):
        return orig(data / 'videos' / TRUNC if Path(path).name == TRUNC else path, *a, **k)
    P.read_clip = reads_more
    try:
        with pytest.raises(ResumeMismatchError, match=r'\(skipped \['):
            T.train(T.TrainConfig(**{**cfg, 'cache_dir': str(tmp_path / 'cache2'), 'epochs': 1}))
    finally: P.read_clip = orig


def _cache_entries(cache):
    return sorted(p.relative_to(cache) for p in cache.rglob('*.pt'))


def test_sigkill_during_prepare_only_leaves_a_readable_cache(tiny_env, tmp_path):
    model, data = tiny_env
    cache = tmp_path / 'cache'
    def prep(c, out): return [str(BIN / 'gazeqwen'), 'train', '--model-path', str(model), '--data-root', str(data),
                              '--out-dir', str(out), '--prepare-only', 'true', '--progress', 'false', '--num-threads', '1',
                              '--cache-dir', str(c), '--max-per-task', '3']
    cmd = prep(cache, tmp_path / 'prep')
    p = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 300 and len(_cache_entries(cache) if cache.exists() else []) < 3: time.sleep(0.005)
    p.send_signal(signal.SIGKILL); p.wait()
    partial = _cache_entries(cache)
    for e in partial: torch.load(cache / e, map_location='cpu', weights_only=True)   # every entry whole
    subprocess.run(cmd, env=ENV, check=True, capture_output=True)
    log = json.loads((tmp_path / 'prep' / 'train_log.json').read_text())
    full = _cache_entries(cache)
    assert 3 <= len(partial) < len(full) <= log['n_prepared'], (len(partial), len(full), log['n_prepared'])
    assert set(partial) <= set(full)
    # the interrupted-then-completed cache holds what an uninterrupted run writes
    fresh = tmp_path / 'fresh'
    subprocess.run(prep(fresh, tmp_path / 'prep2'), env=ENV, check=True, capture_output=True)
    assert _cache_entries(fresh) == full
    for e in full:
        a, b = (torch.load(c / e, map_location='cpu', weights_only=True) for c in (cache, fresh))
        assert a.keys() == b.keys()
        for k in a:   # two processes: floats within 1e-6, everything else equal
            if torch.is_tensor(a[k]) and a[k].is_floating_point(): assert torch.allclose(a[k], b[k], atol=1e-6, rtol=0), k
            elif torch.is_tensor(a[k]): assert torch.equal(a[k], b[k]), k
            else: assert abs(a[k] - b[k]) <= 1e-9 if isinstance(a[k], float) else a[k] == b[k], k
