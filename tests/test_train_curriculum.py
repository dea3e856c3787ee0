"""The curriculum's first phase trains its tasks alone, then every task; a run stopped after the first phase resumes to
the weights of an uninterrupted run."""
import shutil, time
import torch
import gazeqwen.train as T


def _weights(path):
    ck = torch.load(path, map_location='cpu', weights_only=True)
    return {**{'f.' + k: v for k, v in ck['state_dict'].items()}, **{'l.' + k: v for k, v in ck['lora_state_dict'].items()}}


def test_curriculum_phases_and_resume(tiny_env, tmp_path, monkeypatch):
    model, data = tiny_env
    seen, orig = [], T.answer_logits
    def spy(bb, batch, *a, **k):
        if bb.model.training: seen.append([b.task for b in batch])  # training batches only (validation runs in eval mode)
        return orig(bb, batch, *a, **k)
    monkeypatch.setattr(T, 'answer_logits', spy)
    prep_calls, orig_prep = [], T.prepare_items
    def slow_prep(*a, **k):  # 0.2 s more per call: the log's preparation time must include it
        prep_calls.append(1); time.sleep(0.2); return orig_prep(*a, **k)
    monkeypatch.setattr(T, 'prepare_items', slow_prep)
    cfg = dict(model_path=str(model), data_root=str(data), epochs=1, max_per_task=2, max_val_items=4, items_per_step=4,
               micro_batch=4, d_latent=16, n_latents=4, progress=False, num_threads=1, cache_dir=str(tmp_path / 'cache'),
               curriculum_tasks=['OAR', 'FAP'], curriculum_epochs=2, curriculum_max_per_task=3, lr=3e-3)
    full = T.train(T.TrainConfig(**cfg, out_dir=str(tmp_path / 'full')))
    n1, n2 = full['n_curriculum_items'], full['n_train_items']
    assert 0 < n1 <= 6 and n2 > n1
    assert [h['phase'] for h in full['history']] == ['curriculum', 'curriculum', 'all']
    assert [h['n_items'] for h in full['history']] == [n1, n1, n2]
    sec = full['seconds']  # wall clock of this process: preparing frozen outputs vs the rest
    assert sec['prepare'] >= 0.2 * len(prep_calls) > 0 and sec['rest'] > 0
    assert abs(sec['total'] - sec['prepare'] - sec['rest']) <= 0.15
    steps1 = 2 * -(-n1 // 4)
    assert len(full['step_losses']) == steps1 + -(-n2 // 4)
    first, second = sum(seen[:steps1], []), sum(seen[steps1:], [])
    assert set(first) <= {'OAR', 'FAP'} and len(first) == 2 * n1, first
    assert len(set(second)) > 2 and len(second) == n2  # the second phase sees the other tasks
    # stop after epoch 2 (end of the first phase): a run resumed from its checkpoint ends where the full run ended
    (tmp_path / 'cut').mkdir()
    shutil.copy(tmp_path / 'full' / 'epoch_2.pt', tmp_path / 'cut' / 'last.pt')
    cut = T.train(T.TrainConfig(**cfg, out_dir=str(tmp_path / 'cut')))
    a, b = _weights(tmp_path / 'full' / 'last.pt'), _weights(tmp_path / 'cut' / 'last.pt')
    assert a.keys() == b.keys()
    diff = max((a[k] - b[k]).abs().max().item() for k in a)
    assert diff < 1e-6, f'max weight difference {diff}'
    assert max((a[k] - _weights(tmp_path / 'full' / 'epoch_2.pt')[k]).abs().max().item() for k in a) > 1e-4  # phase 2 moved them
    assert cut['step_losses'] == full['step_losses'] and [h['phase'] for h in cut['history']] == ['curriculum', 'curriculum', 'all']


def test_best_model_comes_from_the_last_phase(tiny_env, tmp_path):
    model, data = tiny_env
    cfg = T.TrainConfig(model_path=str(model), data_root=str(data), out_dir=str(tmp_path / 'run'), epochs=1, max_per_task=2,
                        max_val_items=4, items_per_step=4, micro_batch=4, d_latent=16, n_latents=4, progress=False,
                        num_threads=1, cache_dir=str(tmp_path / 'cache'), curriculum_tasks=['OAR'], curriculum_epochs=2, lr=3e-3)
    log = T.train(cfg)
    assert log['best_val_acc'] == log['history'][2]['val_acc']  # the one all-task epoch, whatever the first two scored
    best, third = _weights(tmp_path / 'run' / 'best_model.pt'), _weights(tmp_path / 'run' / 'epoch_3.pt')
    assert max((best[k] - third[k]).abs().max().item() for k in best) == 0.0
    first = _weights(tmp_path / 'run' / 'epoch_1.pt')
    assert max((best[k] - first[k]).abs().max().item() for k in best) > 0  # the epochs differ, so the check can fail


def test_several_curriculum_phases(tiny_env, tmp_path, monkeypatch):
    "Two first phases run in order, each on its own tasks and item cap, then every task; the log lists them."
    model, data = tiny_env
    seen, orig = [], T.answer_logits
    def spy(bb, batch, *a, **k):
        if bb.model.training: seen.append([b.task for b in batch])
        return orig(bb, batch, *a, **k)
    monkeypatch.setattr(T, 'answer_logits', spy)
    phases = [dict(tasks=['OAR'], epochs=1, max_per_task=3), dict(tasks=['FAP', 'OI-H'], epochs=2, max_per_task=2)]
    log = T.train(T.TrainConfig(model_path=str(model), data_root=str(data), out_dir=str(tmp_path / 'run'), epochs=1,
                                max_per_task=2, max_val_items=4, items_per_step=4, micro_batch=4, d_latent=16, n_latents=4,
                                progress=False, num_threads=1, cache_dir=str(tmp_path / 'cache'), lr=3e-3,
                                curriculum_phases=phases))
    cur = log['curriculum']
    assert [c['tasks'] for c in cur] == [['OAR'], ['FAP', 'OI-H']] and [c['epochs'] for c in cur] == [1, 2]
    n1, n2, n = cur[0]['n_items'], cur[1]['n_items'], log['n_train_items']
    assert 0 < n1 <= 3 and 0 < n2 <= 4 and log['n_curriculum_items'] == n1 + n2
    assert [h['phase'] for h in log['history']] == ['curriculum'] * 3 + ['all']
    assert [h['tasks'] for h in log['history']] == [['OAR'], ['FAP', 'OI-H'], ['FAP', 'OI-H'], 'all']
    assert [h['n_items'] for h in log['history']] == [n1, n2, n2, n]
    s1, s2 = -(-n1 // 4), -(-n2 // 4)
    e1, e23, e4 = sum(seen[:s1], []), sum(seen[s1:s1 + 2 * s2], []), sum(seen[s1 + 2 * s2:], [])
    assert set(e1) == {'OAR'} and len(e1) == n1
    assert set(e23) <= {'FAP', 'OI-H'} and len(e23) == 2 * n2
    assert len(set(e4)) > 2 and len(e4) == n
    assert log['best_val_acc'] == log['history'][3]['val_acc']  # best_model.pt only from the all-task phase
