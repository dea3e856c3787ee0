"""Resuming is refused when the files to resume from were written under another configuration (training: last.pt;
evaluation: the predictions JSONL), with the differing fields named; the unchanged command after a SIGKILL resumes and
ends where an uninterrupted run ends."""
import json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch
import gazeqwen.train as T
import gazeqwen.evaluate as E
from gazeqwen.utils import ResumeMismatchError

BIN = Path(sys.executable).parent
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}
SMALL = dict(epochs=1, max_per_task=2, max_val_items=4, items_per_step=4, micro_batch=4, d_latent=16, n_latents=4,
             progress=False, num_threads=1)


def _weights(path):
    ck = torch.load(path, map_location='cpu', weights_only=True)
    return {**{'f.' + k: v for k, v in ck['state_dict'].items()}, **{'l.' + k: v for k, v in ck['lora_state_dict'].items()}}


def _max_diff(a, b):
    assert a.keys() == b.keys()
    return max((a[k] - b[k]).abs().max().item() for k in a)


def test_train_resume_refuses_other_settings(tiny_env, tmp_path):
    model, data = tiny_env
    cfg = dict(model_path=str(model), data_root=str(data), out_dir=str(tmp_path / 'a'), cache_dir=str(tmp_path / 'cache'), **SMALL)
    T.train(T.TrainConfig(**cfg))
    before = _weights(tmp_path / 'a' / 'last.pt')
    for change, named in [(dict(lr=0.01), 'lr 0.0003 -> 0.01'), (dict(epochs=2), 'epochs 1 -> 2'),
                          (dict(lora_rank=4, seed=1), 'lora_rank 8 -> 4; seed 0 -> 1')]:
        with pytest.raises(ResumeMismatchError) as e: T.train(T.TrainConfig(**{**cfg, **change}))
        msg = str(e.value)
        assert named in msg and '--resume false' in msg and '--out-dir' in msg and str(tmp_path / 'a' / 'last.pt') in msg, msg
    # the same data elsewhere (copied with its times) is the same run; changed QA bytes are not
    moved = tmp_path / 'data_copy'; shutil.copytree(data, moved)
    T.train(T.TrainConfig(**{**cfg, 'data_root': str(moved), 'num_threads': 2}))  # resumes: nothing left to train
    assert _max_diff(before, _weights(tmp_path / 'a' / 'last.pt')) == 0.0
    qa = sorted((moved / 'qa').glob('*.json'))[0]
    qa.write_text(json.dumps(json.loads(qa.read_text()), indent=2))
    with pytest.raises(ResumeMismatchError, match=r'\(data [0-9a-f"]+ -> '): T.train(T.TrainConfig(**{**cfg, 'data_root': str(moved)}))
    # a refused run changed nothing; --resume false starts over with the new settings
    assert _max_diff(before, _weights(tmp_path / 'a' / 'last.pt')) == 0.0
    log = T.train(T.TrainConfig(**{**cfg, 'lr': 0.01, 'resume': False}))
    assert log['config']['lr'] == 0.01 and _max_diff(before, _weights(tmp_path / 'a' / 'last.pt')) > 1e-4


def _train_cmd(model, data, out, cache, *extra):
    args = dict(model_path=model, data_root=data, out_dir=out, cache_dir=cache, epochs=4, max_per_task=2, max_val_items=4,
                items_per_step=4, micro_batch=4, d_latent=16, n_latents=4, progress='false', num_threads=1, lr=0.003)
    return [str(BIN / 'gazeqwen'), 'train', *[x for k, v in args.items() for x in ('--' + k.replace('_', '-'), str(v))], *extra]


def test_train_sigkill_then_same_command(tiny_env, tmp_path):
    model, data = tiny_env
    cache = tmp_path / 'cache'
    subprocess.run(_train_cmd(model, data, tmp_path / 'full', cache), check=True, env=ENV, capture_output=True)
    out = tmp_path / 'cut'
    p = subprocess.Popen(_train_cmd(model, data, out, cache), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 300 and not (out / 'last.pt').exists(): time.sleep(0.01)
    p.send_signal(signal.SIGKILL); p.wait()
    done = torch.load(out / 'last.pt', map_location='cpu', weights_only=True)['epoch']
    assert 1 <= done < 4, f'kill came too late ({done} epochs done)'
    r = subprocess.run(_train_cmd(model, data, out, cache), env=ENV, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f'resumed from {out / "last.pt"} after epoch {done}' in r.stderr
    diff = _max_diff(_weights(tmp_path / 'full' / 'last.pt'), _weights(out / 'last.pt'))
    assert diff < 1e-6, f'max weight difference {diff}'   # two processes: float tolerance, not equality
    # another learning rate into the same folder: one line, status 2, no traceback, nothing written
    stamp = (out / 'last.pt').stat().st_mtime_ns
    r = subprocess.run(_train_cmd(model, data, out, cache, '--lr', '0.01'), env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-2000:]
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith('gazeqwen train: error: ') and 'lr 0.003 -> 0.01' in line and '--resume false' in line, line
    assert (out / 'last.pt').stat().st_mtime_ns == stamp


def _eval(model, data, out, **kw):
    return E.EvalConfig(**{**dict(mode='no_gaze', model_path=str(model), data_root=str(data), out_path=str(out),
                                  batch_size=4, max_items=8, progress=False, num_threads=1,
                                  cache_dir=str(Path(out).parent / 'cache')), **kw})


def test_evaluate_resume_refuses_other_settings(tiny_env, tmp_path):
    model, data = tiny_env
    ck = tmp_path / 'run' / 'best_model.pt'
    T.train(T.TrainConfig(model_path=str(model), data_root=str(data), out_dir=str(ck.parent), cache_dir=str(tmp_path / 'cache'),
                          **SMALL))
    out = tmp_path / 'preds.jsonl'
    E.evaluate(_eval(model, data, out, mode='lora_only', checkpoint=str(ck)))
    rows = out.read_bytes()
    assert len(rows.splitlines()) == 8
    for change, named in [(dict(mode='gazeqwen'), 'mode "lora_only" -> "gazeqwen"'), (dict(split='val'), 'split "test" -> "val"'),
                          (dict(protocol='reference'), 'protocol "aligned" -> "reference"')]:
        with pytest.raises(ResumeMismatchError) as e: E.evaluate(_eval(model, data, out, **{'mode': 'lora_only', 'checkpoint': str(ck), **change}))
        assert named in str(e.value) and '--out-path' in str(e.value), str(e.value)
    # another checkpoint: a retrained best_model.pt in the same place, and a checkpoint at another path
    other = tmp_path / 'other' / 'best_model.pt'
    T.train(T.TrainConfig(model_path=str(model), data_root=str(data), out_dir=str(other.parent), cache_dir=str(tmp_path / 'cache'),
                          **{**SMALL, 'seed': 1}))
    with pytest.raises(ResumeMismatchError, match='checkpoint'): E.evaluate(_eval(model, data, out, mode='lora_only', checkpoint=str(other)))
    shutil.copy(other, ck)
    with pytest.raises(ResumeMismatchError, match='checkpoint'): E.evaluate(_eval(model, data, out, mode='lora_only', checkpoint=str(ck)))
    changed = tmp_path / 'data_changed'; shutil.copytree(data, changed)
    qa = sorted((changed / 'qa').glob('*.json'))[0]; qa.write_text(qa.read_text() + '\n')
    E.evaluate(_eval(model, changed, tmp_path / 'p2.jsonl', max_items=2))
    with pytest.raises(ResumeMismatchError, match=r'\(data '): E.evaluate(_eval(model, data, tmp_path / 'p2.jsonl', max_items=2))
    assert out.read_bytes() == rows   # refused runs appended nothing
    # a file written before fingerprints: checked on the settings its .meta.json recorded, else on its rows
    meta = out.with_name('preds.meta.json'); m = json.loads(meta.read_text()); del m['fingerprint']; meta.write_text(json.dumps(m))
    E.evaluate(_eval(model, data, out, mode='lora_only', checkpoint=str(ck)))   # all rows there: nothing to do
    with pytest.raises(ResumeMismatchError, match='split "test" -> "val"'):
        E.evaluate(_eval(model, data, out, mode='lora_only', checkpoint=str(ck), split='val'))
    meta.unlink()
    with pytest.raises(ResumeMismatchError, match='mode "lora_only" -> "no_gaze"'): E.evaluate(_eval(model, data, out))
    assert out.read_bytes() == rows


def test_train_resume_of_a_checkpoint_without_fingerprint(tiny_env, tmp_path, caplog):
    model, data = tiny_env
    cfg = dict(model_path=str(model), data_root=str(data), out_dir=str(tmp_path / 'a'), cache_dir=str(tmp_path / 'cache'), **SMALL)
    T.train(T.TrainConfig(**cfg))
    ck = torch.load(tmp_path / 'a' / 'last.pt', map_location='cpu', weights_only=True)
    del ck['fingerprint']; torch.save(ck, tmp_path / 'a' / 'last.pt')   # as an older version wrote it
    before = _weights(tmp_path / 'a' / 'last.pt')
    log = T.train(T.TrainConfig(**cfg))   # resumes (nothing left), with a warning that nothing was checked
    assert 'has no run fingerprint' in caplog.text and len(log['history']) == 1
    assert _max_diff(before, _weights(tmp_path / 'a' / 'last.pt')) == 0.0
