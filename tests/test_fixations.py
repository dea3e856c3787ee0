"""Command-line checks of `gazeqwen fixations` (`gazeqwen.fixations.fixations_cli` / `run_fixations`): files, summary, errors."""
import json, subprocess, sys
from pathlib import Path

import numpy as np, pandas as pd, pytest

from gazeqwen.fixations import FIXATION_CSV_COLUMNS, fixations_cli, run_fixations, write_synth_gaze

FPS, N = 24, 192  # 8 s test video


def _video(path: Path) -> Path:
    "8 s, 24 fps, 64x48: red 0-3 s, black 3-5.5 s, then a hue changing every frame."
    import av
    c = av.open(str(path), 'w'); s = c.add_stream('mpeg4', rate=FPS); s.width, s.height, s.pix_fmt = 64, 48, 'yuv420p'
    for k in range(N):
        a = np.zeros((48, 64, 3), np.uint8)
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
    from gazeqwen.data import ScanpathLoader  # acceptance 3: the data layer reads it unchanged
    sp = ScanpathLoader(csv).load().double().numpy()
    np.testing.assert_allclose(sp, [[0.3, 0.6, 33 / FPS, 66 / FPS]], atol=1e-5)


def test_cli_filters_switch_off(video, tmp_path):
    raw = _synth_raw(tmp_path / 'clip_gaze.csv')
    rep = run_fixations(['--format', 'synth', str(raw), str(video), '--out', str(tmp_path), '--no-black',
                         '--no-consistency', '--keep-duration', '0', '--stem', 'x'])
    assert rep['kept'] == 3 and rep['rules_on'] == {'duration': False, 'black': False, 'consistency': False}
    assert len(pd.read_csv(tmp_path / 'x_fixation_filtered.csv')) == 3


def test_cli_aria_pixels_scaled_by_video_size(video, tmp_path):
    # 10 Hz samples, pixels of the 64x48 video: steady at (16, 24) for 2.9 s (on red)
    ts = np.arange(30) / 10
    raw = tmp_path / 'take_eye_gaze_2d.csv'
    pd.DataFrame({'tracking_timestamp_us': (1_000_000 + ts * 1e6).round().astype(np.int64), 'x': 16.0, 'y': 24.0}).to_csv(raw, index=False)
    rep = run_fixations(['--format', 'aria', str(raw), str(video), '--out', str(tmp_path)])
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
