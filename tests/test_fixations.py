"""Command-line checks of `gazeqwen fixations` (`gazeqwen.fixations.fixations_cli` / `run_fixations`): files, summary, errors,
both rules on hand-written files in each dataset's real layout."""
import json, subprocess, sys
from pathlib import Path

import numpy as np, pandas as pd, pytest

from gazeqwen.fixations import FIXATION_CSV_COLUMNS, fixations_cli, run_fixations, write_begaze, write_synth_gaze

FPS, N = 24, 192  # 8 s test video


def _video(path: Path, w: int = 64, h: int = 48) -> Path:
    "8 s, 24 fps, w x h: red 0-3 s, black 3-5.5 s, then a hue changing every frame."
    import av
    c = av.open(str(path), 'w'); s = c.add_stream('mpeg4', rate=FPS); s.width, s.height, s.pix_fmt = w, h, 'yuv420p'
    for k in range(N):
        a = np.zeros((h, w, 3), np.uint8)
        if k < 72: a[:] = (200, 30, 30)
        elif k >= 132: a[:] = [(230, 40, 40), (40, 230, 40), (40, 40, 230)][k % 3]
        for p in s.encode(av.VideoFrame.from_ndarray(a, format='rgb24')): c.mux(p)
    for p in s.encode(): c.mux(p)
    c.close(); return path


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    return _video(tmp_path_factory.mktemp('video') / 'clip.mp4')


def _synth_raw(path: Path) -> Path:
    "Gaze at (0.3, 0.6) on red frames 0-66, a saccade frame (67), (0.7, 0.2) on 68-129 (mostly black), a blink, (0.5, 0.5) on 131-191 (colour changes)."
    x, y = np.full(N, np.nan), np.full(N, np.nan)
    x[:67], y[:67] = 0.3, 0.6
    x[67], y[67] = 0.5, 0.4
    x[68:130], y[68:130] = 0.7, 0.2
    x[131:], y[131:] = 0.5, 0.5
    return write_synth_gaze(path, x, y, np.isfinite(x), FPS)


def test_cli_synth_writes_csv_png_summary(video, tmp_path, capsys):
    raw = _synth_raw(tmp_path / 'gaze_raw' / 'clip_gaze.csv')
    rep = run_fixations(['--format', 'synth', str(raw), str(video), '--out', str(tmp_path / 'out')])
    out = capsys.readouterr().out
    assert rep['detected'] == 3 and rep['kept'] == 1
    assert rep['dropped'] == {'duration': 0, 'black': 1, 'consistency': 1}
    assert 'dropped by duration 0, black 1, consistency 1' in out
    csv = tmp_path / 'out' / 'clip_fixation_filtered.csv'
    df = pd.read_csv(csv)
    assert list(df.columns) == FIXATION_CSV_COLUMNS and len(df) == 1
    np.testing.assert_allclose(df[['start_time', 'end_time', 'center_x', 'center_y']].values[0], [0, 66 / FPS, 0.3, 0.6], atol=1e-9)
    assert abs(rep['coverage_s'] - 66 / FPS) < 1e-9 and abs(rep['coverage_share'] - 66 / FPS / 8) < 1e-9
    summary = json.loads((tmp_path / 'out' / 'clip_fixations_summary.json').read_text())
    assert summary['kept'] == 1 and summary['provenance']['config']['format'] == 'synth'
    assert (tmp_path / 'out' / 'clip_fixations.png').stat().st_size > 5000
    from gazeqwen.data import ScanpathLoader  # the data layer reads it unchanged
    sp = ScanpathLoader(csv).load().double().numpy()
    np.testing.assert_allclose(sp, [[0.3, 0.6, 33 / FPS, 66 / FPS]], atol=1e-5)


def test_cli_filters_switch_off(video, tmp_path):
    raw = _synth_raw(tmp_path / 'clip_gaze.csv')
    rep = run_fixations(['--format', 'synth', str(raw), str(video), '--out', str(tmp_path), '--no-black',
                         '--no-consistency', '--keep-duration', '0', '--stem', 'x'])
    assert rep['kept'] == 3 and rep['rules_on'] == {'duration': False, 'black': False, 'consistency': False}
    assert len(pd.read_csv(tmp_path / 'x_fixation_filtered.csv')) == 3


def test_cli_pixel_csv_scaled_by_video_size(video, tmp_path):
    # 10 Hz samples, pixels of the 64x48 video: steady at (16, 24) for 2.9 s (on red)
    ts = np.arange(30) / 10
    raw = tmp_path / 'take_gaze.csv'
    pd.DataFrame({'tracking_timestamp_us': (1_000_000 + ts * 1e6).round().astype(np.int64), 'x': 16.0, 'y': 24.0}).to_csv(raw, index=False)
    rep = run_fixations(['--format', 'pixel_csv', str(raw), str(video), '--out', str(tmp_path)])
    assert rep['kept'] == 1 and abs(rep['radius'] - 96 / 64) < 1e-12
    df = pd.read_csv(tmp_path / 'clip_fixation_filtered.csv')
    np.testing.assert_allclose(df[['start_time', 'end_time', 'center_x', 'center_y']].values[0], [0, 69 / FPS, 0.25, 0.5], atol=1e-9)  # last frame with gaze: 69 (2.875 s)


def test_cli_malformed_raw_exits_with_file_and_line(video, tmp_path):
    raw = tmp_path / 'clip_gaze.csv'
    raw.write_text('frame,time_s,x,y,valid\n0,0.0,0.5,0.5,1\n1,0.0417,0.5,oops,1\n')
    code = "from gazeqwen.fixations import fixations_cli; fixations_cli()"
    r = subprocess.run([sys.executable, '-c', code, '--format', 'synth', str(raw), str(video), '--out', str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert f"{raw}:3: column 'y' value 'oops' is not a number" in r.stderr
    with pytest.raises(SystemExit) as e:
        fixations_cli(['--format', 'tobii', str(raw), str(video), '--out', str(tmp_path)])
    assert e.value.code == 2


def test_console_entry_returns_zero(video, tmp_path, capsys):
    raw = _synth_raw(tmp_path / 'clip_gaze.csv')
    from gazeqwen.cli import main
    assert main(['fixations', '--format', 'synth', str(raw), str(video), '--out', str(tmp_path)]) == 0
    assert '3 detected, 1 kept' in capsys.readouterr().out


def test_cli_old_aria_name_is_a_usage_error_naming_pixel_csv(video, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        fixations_cli(['--format', 'aria', str(tmp_path / 'x.csv'), str(video), '--out', str(tmp_path)])
    assert e.value.code == 2 and "format 'aria' is now 'pixel_csv'" in capsys.readouterr().err


# --- the four StreamGaze datasets, both rules -------------------------------------------------------------------------
# Each raw file holds: a steady look (about 2.4-2.5 s), the same length of lost tracking, a second steady look.
# StreamGaze's rule keeps the lost-tracking frames as points (EGTEA, Ego4D: (0, 0); HoloAssist: (0.5, 0.5) for rows
# without a projection; EgoExoLearn: NaN, which never breaks a segment); ours never lets them anchor or extend one.

@pytest.fixture(scope='module')
def wide_video(tmp_path_factory):
    return _video(tmp_path_factory.mktemp('wide') / 'wide.mp4', 640, 360)


def _egtea_raw(path):
    s = [(k, 640.0, 480.0, 'Fixation') for k in range(60)] + [(k, 320.0, 240.0, 'Fixation') for k in range(120, 180)]
    return write_begaze(path, s, fields=26)


def _ego4d_raw(path):
    k = np.r_[0:75, 150:225]
    pd.DataFrame({'component_idx': 0, 'canonical_timestamp_s': k / 30 + 0.001, 'norm_pos_x': np.where(k < 75, 0.5, 0.25),
                  'norm_pos_y': np.where(k < 75, 0.5, 0.25), 'confidence': 0.95}).to_csv(path, index=False)
    return path


def _egoexolearn_raw(path):
    x = np.r_[np.full(75, 0.5), np.full(75, np.nan), np.full(75, 0.25)]
    np.save(path, np.c_[x, x, np.isfinite(x)])
    return path


def _holoassist_raw(path):
    lines = ['frame_idx,timestamp_sec,u,v,valid,in_frame']
    for f in range(180):
        if f < 60: lines.append(f'{f},{f / 24.46},448.0,252.0,True,True')
        elif f < 120: lines.append(f'{f},{f / 24.46},,,False,False')
        else: lines.append(f'{f},{f / 24.46},224.0,126.0,True,True')
    path.write_text('\n'.join(lines) + '\n'); return path


NO_FILTERS = ['--no-black', '--no-consistency', '--keep-duration', '0']
# format -> (writer, file name, StreamGaze fixations [start_frame, end_frame, centre x, centre y] at its fps, our fixations)
CASES = {
    'egtea': (_egtea_raw, 'wide.txt', 24.0, [[0, 59, 0.5, 0.5], [60, 119, 0.0, 0.0], [120, 179, 0.25, 0.25]],
              [[0, 59, 0.5, 0.5], [120, 179, 0.25, 0.25]]),
    'ego4d': (_ego4d_raw, 'wide.csv', 30.0, [[0, 74, 0.5, 0.5], [75, 149, 0.0, 0.0], [150, 224, 0.25, 0.25]],
              None),  # ours follows the video's 24 fps: checked separately below
    'egoexolearn': (_egoexolearn_raw, 'wide.npy', 30.0, [[0, 149, np.nan, np.nan], [150, 224, 0.25, 0.25]], None),
    'holoassist': (_holoassist_raw, 'wide_gaze_2d.csv', 24.46, [[0, 59, 0.7, 0.7], [60, 119, 0.5, 0.5], [120, 179, 0.35, 0.35]],
                   None),
}


@pytest.mark.parametrize('fmt', list(CASES))
def test_cli_streamgaze_rule_each_dataset(fmt, wide_video, tmp_path):
    write, name, fps, want, _ = CASES[fmt]
    raw = write(tmp_path / name)
    rep = run_fixations(['--format', fmt, '--rule', 'streamgaze', str(raw), str(wide_video), '--out', str(tmp_path), *NO_FILTERS])
    assert rep['rule'] == 'streamgaze' and rep['fps'] == fps
    assert rep['radius'] == {'egtea': 0.15, 'ego4d': 0.088}.get(fmt, 96 / 640)
    got = [[f['start_frame'], f['end_frame'], f['center_x'], f['center_y']] for f in rep['fixations']]
    assert [g[:2] for g in got] == [w[:2] for w in want]
    np.testing.assert_allclose(np.array([g[2:] for g in got], float), np.array([w[2:] for w in want], float), atol=1e-6)  # float32 centres
    for f in rep['fixations']:
        assert f['start_time'] == f['start_frame'] / fps and f['end_time'] == f['end_frame'] / fps
    df = pd.read_csv(tmp_path / 'wide_fixation_filtered.csv')
    assert list(df.columns) == FIXATION_CSV_COLUMNS and len(df) == len(want)


@pytest.mark.parametrize('fmt', list(CASES))
def test_cli_our_rule_each_dataset_drops_lost_tracking(fmt, wide_video, tmp_path):
    write, name, _, _, _ = CASES[fmt]
    raw = write(tmp_path / name)
    rep = run_fixations(['--format', fmt, str(raw), str(wide_video), '--out', str(tmp_path), *NO_FILTERS])
    assert rep['rule'] == 'ours' and rep['kept'] == 2  # the two looks, nothing where tracking was lost
    c = sorted((round(f['center_x'], 6), round(f['center_y'], 6)) for f in rep['fixations'])
    want = {'holoassist': [(0.35, 0.35), (0.7, 0.7)]}.get(fmt, [(0.25, 0.25), (0.5, 0.5)])
    np.testing.assert_allclose(c, want, atol=1e-9)


def test_cli_bad_raw_files_name_file_and_place(wide_video, tmp_path):
    cases = []
    npy = tmp_path / 'cut.npy'; np.save(npy, np.zeros((500, 3))); npy.write_bytes(npy.read_bytes()[:300])
    cases.append(('egoexolearn', npy, f'{npy}:data: not a readable numpy array, truncated'))
    empty = tmp_path / 'empty.npy'; empty.write_bytes(b'')
    cases.append(('egoexolearn', empty, f'{empty}:header: empty file'))
    back = write_begaze(tmp_path / 'back.txt', [(3, 1.0, 1.0, 'Fixation'), (5, 1.0, 1.0, 'Fixation'), (4, 1.0, 1.0, 'Fixation')], fields=7)
    cases.append(('egtea', back, f'{back}:37: frame 4 goes backwards'))
    cut = tmp_path / 'cut.csv'
    cut.write_text('canonical_timestamp_s,norm_pos_x,norm_pos_y,confidence\n0.0,0.5,0.5,0.9\n0.033,0.5\n')
    cases.append(('ego4d', cut, f'{cut}:3: 2 fields, the header has 4 (a truncated or damaged line)'))
    for rule in ('ours', 'streamgaze'):
        for fmt, raw, msg in cases:
            with pytest.raises(SystemExit) as e:
                fixations_cli(['--format', fmt, '--rule', rule, str(raw), str(wide_video), '--out', str(tmp_path)])
            assert msg in str(e.value.code), (rule, fmt, e.value.code)


def test_real_streamgaze_output_has_float32_centres_on_frame_times():
    from gazeqwen.utils import real_fixtures
    rf = real_fixtures()
    if rf is None: pytest.skip('../shared/fixtures/real is absent: the real StreamGaze fixation file cannot be checked')
    real = pd.read_csv(rf / 'OP03-R01-PastaSalad_fixation_filtered.csv')
    f32 = np.abs(real.center_x.values - real.center_x.values.astype(np.float32)) < 1e-12  # float32 spacing here ~3e-8
    fr = real[['start_time', 'end_time']].values * 24
    assert f32.sum() >= len(real) - 2 and np.abs(fr - np.round(fr)).max() < 1e-6  # two centres come from a later merge
