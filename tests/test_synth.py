"""Synthetic benchmark: CLI, timing of the small preset, byte determinism, decoding, data-layer loading, oracle, round trip."""
import hashlib, json, subprocess, sys, time
from pathlib import Path

import numpy as np
import pytest

from gazeqwen.synth import (SynthConfig, TASKS, TASK_FILES, PROACTIVE, generate_dataset, oracle_report, synth_cli,
                            dispersion_fixations, load_synth)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    "The --small preset written once through the CLI (timed)."
    out = tmp_path_factory.mktemp('synth') / 'small'
    t0 = time.perf_counter()
    assert synth_cli(['--out', str(out), '--small', '--no-progress', '--no-oracle']) == 0
    return out, time.perf_counter() - t0


def _digests(d: Path) -> dict:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob('*')) if p.suffix in ('.csv', '.json')}


def test_small_preset_written(small):
    out, seconds = small
    print(f'--small preset: {seconds:.1f} s')  # reported, not asserted: speed belongs in benchmarks/, not unit tests
    assert len(list((out / 'videos').glob('*.mp4'))) == len(list((out / 'fixations').glob('*.csv'))) > 0


def test_layout_and_all_tasks(small):
    out, _ = small
    meta = json.loads((out / 'meta.json').read_text())
    stems = sorted(meta['videos'])
    assert len(stems) == SynthConfig.small().n_videos
    for s in stems:
        assert (out / 'videos' / f'{s}.mp4').is_file()
        assert (out / 'fixations' / f'{s}_fixation_filtered.csv').is_file()
        assert (out / 'gaze_raw' / f'{s}_gaze.csv').is_file()
    for t in TASKS:
        qa = json.loads((out / 'qa' / f'{TASK_FILES[t]}.json').read_text())
        assert len(qa) >= 1, f'{t}: no questions in the small preset'
        for e in qa:
            assert set(e) == {'video_path', 'response_time', 'questions'}
            q = e['questions'][0]
            if t in PROACTIVE: assert {'question', 'time_stamp', 'test_info', 'task_type'} <= set(q)
            else:
                assert {'question', 'time_stamp', 'answer', 'options', 'task_type'} <= set(q)
                assert [o[:3] for o in q['options']] == ['A. ', 'B. ', 'C. ', 'D. ']
    split = json.loads((out / 'split.json').read_text())
    assert sorted(split['train'] + split['val'] + split['test']) == [f'{s}.mp4' for s in stems]


def test_same_seed_same_bytes(small, tmp_path):
    out, _ = small
    again = tmp_path / 'again'
    generate_dataset(again, SynthConfig.small(), progress=False, workers=1)  # other worker count, same bytes
    a, b = _digests(out), _digests(again)
    assert a.keys() == b.keys() and len(a) > 30
    assert a == b, [k for k in a if a[k] != b.get(k)][:5]
    other = tmp_path / 'other'
    generate_dataset(other, SynthConfig.small(seed=1, n_videos=2), progress=False, workers=1)
    assert _digests(other)['fixations/synth_0000_fixation_filtered.csv'] != a['fixations/synth_0000_fixation_filtered.csv']


def test_videos_decode_to_stated_frames(small):
    decord = pytest.importorskip('decord')
    out, _ = small
    meta = json.loads((out / 'meta.json').read_text())
    for stem, v in meta['videos'].items():
        vr = decord.VideoReader(str(out / 'videos' / f'{stem}.mp4'))
        assert len(vr) == v['n_frames'], stem
        assert vr[0].shape == (v['height'], v['width'], 3), stem
        assert abs(vr.get_avg_fps() - v['fps']) < 1e-6


def test_data_layer_loads_everything(small):
    data = pytest.importorskip('gazeqwen.data')
    out, _ = small
    files = sorted((out / 'qa').glob('*.json'))
    ds = data.GazeLensDataset(files, out / 'videos', out / 'fixations', on_error='raise')
    assert ds.skipped == []
    n_expected = 0
    for t in TASKS:
        for e in json.loads((out / 'qa' / f'{TASK_FILES[t]}.json').read_text()):
            n_expected += len(e['questions'][0].get('test_info', [None]))
    assert len(ds) == n_expected
    assert {it.task for it in ds} == set(TASKS)
    test = data.GazeLensDataset(files, out / 'videos', out / 'fixations', split='test',
                                split_file=out / 'split.json', on_error='raise')
    assert test.skipped == [] and 0 < len(test) < len(ds)


def test_oracle_honesty(small):
    out, _ = small
    for rule in ('overlap', 'midpoint'):
        rep = oracle_report(out, rule)
        print(rule, '\n', rep.round(3).to_string())
        assert (rep.n > 0).all()
        assert np.allclose(rep.with_gaze, 1.0)                      # gaze + scene answer everything
        gaze = [t for t in TASKS if t not in ('OI-E', 'OAA')]
        assert np.allclose(rep.loc[gaze, 'without_gaze'], rep.loc[gaze, 'chance'])  # no gaze: chance
        assert np.allclose(rep.loc[['OI-E', 'OAA'], 'without_gaze'], 1.0)          # gaze-free by design


def test_raw_gaze_round_trip(small):
    "Our statement of StreamGaze's detector recovers the ground-truth fixations exactly."
    import pandas as pd
    out, _ = small
    for stem in sorted(load_synth(out)['videos'])[:4]:
        raw = pd.read_csv(out / 'gaze_raw' / f'{stem}_gaze.csv')
        xy = raw[['x', 'y']].to_numpy(float); xy[raw.valid.to_numpy() == 0] = np.nan
        det = np.array(dispersion_fixations(raw.time_s.to_numpy(), xy))
        gt = pd.read_csv(out / 'fixations' / f'{stem}_fixation_filtered.csv')
        assert len(det) == len(gt)
        assert np.abs(det[:, :2] - gt[['start_time_seconds', 'end_time_seconds']].to_numpy()).max() <= 1e-9
        assert np.abs(det[:, 2:] - gt[['center_x', 'center_y']].to_numpy()).max() <= 1e-9


def test_project_detector_round_trip(small):
    "gazeqwen.fixations (when present) finds the same fixations within one frame and 0.01 with its defaults."
    fx = pytest.importorskip('gazeqwen.fixations')
    import pandas as pd
    out, _ = small
    stem = sorted(load_synth(out)['videos'])[0]
    g = fx.read_synth(out / 'gaze_raw' / f'{stem}_gaze.csv')
    det = fx.detect_dispersion(g, 0.15)  # columns FIXATION_TABLE_COLUMNS: start_time, end_time, center_x, center_y, ...
    det = det[det['duration'] >= 2.5 - 1e-9]
    gt = pd.read_csv(out / 'fixations' / f'{stem}_fixation_filtered.csv')
    assert len(det) == len(gt)
    cols = ['start_time', 'end_time', 'center_x', 'center_y']
    d = np.abs(det[cols].to_numpy(float) - gt[cols].to_numpy(float))
    frame = 1 / load_synth(out)['videos'][stem]['fps']
    print('project detector vs ground truth: max |dt| =', d[:, :2].max(), 's, max |dc| =', d[:, 2:].max())
    assert d[:, :2].max() <= frame + 1e-9 and d[:, 2:].max() <= 0.01


def test_console_script_dispatch(tmp_path):
    "`gazeqwen synth` through the package's CLI dispatcher (skips while gazeqwen.cli is absent)."
    cli = pytest.importorskip('gazeqwen.cli')
    out = tmp_path / 'cli'
    r = subprocess.run([sys.executable, '-c', 'import sys; from gazeqwen.cli import main; sys.exit(main(sys.argv[1:]))',
                        'synth', '--out', str(out), '--small', '--n-videos', '2', '--no-progress', '--no-oracle'],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert 'wrote 2 videos' in r.stdout and (out / 'meta.json').is_file()
