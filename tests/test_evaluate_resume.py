"""Killing an evaluation midway and restarting it gives the same JSONL as an uninterrupted run."""
import os, signal, subprocess, sys, time
from pathlib import Path

BIN = Path(sys.executable).parent


def _cmd(model, data, out, cache):
    return [str(BIN / 'gazeqwen'), 'evaluate', '--mode', 'no_gaze', '--model-path', str(model), '--data-root', str(data),
            '--out-path', str(out), '--batch-size', '2', '--max-items', '20', '--progress', 'false', '--num-threads', '1',
            '--cache-dir', str(cache)]


def test_kill_and_resume(tiny_env, tmp_path):
    model, data = tiny_env
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    full = tmp_path / 'full.jsonl'
    subprocess.run(_cmd(model, data, full, tmp_path / 'cache_a'), check=True, env=env, capture_output=True)
    rows = full.read_bytes().splitlines()
    assert len(rows) == 20

    part = tmp_path / 'part.jsonl'
    p = subprocess.Popen(_cmd(model, data, part, tmp_path / 'cache_b'), env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 300 and (not part.exists() or len(part.read_bytes().splitlines()) < 4):
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    n_before = len(part.read_bytes().splitlines())
    assert 4 <= n_before < 20, f'kill came too late or too early ({n_before} rows)'
    with open(part, 'ab') as f: f.write(b'{"question_id": "trunc')   # a crash in the middle of a write
    subprocess.run(_cmd(model, data, part, tmp_path / 'cache_b'), check=True, env=env, capture_output=True)
    assert part.read_bytes() == full.read_bytes()
