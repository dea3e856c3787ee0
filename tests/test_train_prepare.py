"""`prepare_only` fills the frozen-output cache with every item a run trains and validates on, and trains nothing: the
training run after it computes no frozen output."""
import gazeqwen.pipeline as P
import gazeqwen.train as T


def test_prepare_only_then_train_reads_the_cache(tiny_env, tmp_path, monkeypatch):
    model, data = tiny_env
    computed = []
    orig = P._compute_frozen
    def spy(bb, clips, texts):
        computed.append(len(clips)); return orig(bb, clips, texts)
    monkeypatch.setattr(P, '_compute_frozen', spy)
    cfg = dict(model_path=str(model), data_root=str(data), epochs=1, max_per_task=2, max_val_items=4, items_per_step=4,
               micro_batch=4, d_latent=16, n_latents=4, progress=False, num_threads=1, cache_dir=str(tmp_path / 'cache'),
               curriculum_tasks=['OAR'], curriculum_epochs=1, curriculum_max_per_task=3)
    log = T.train(T.TrainConfig(**cfg, out_dir=str(tmp_path / 'prep'), prepare_only=True))
    assert log['prepare_only'] and not (tmp_path / 'prep' / 'best_model.pt').exists() and 'history' not in log
    first, train_items, val = log['n_curriculum_items'], log['n_train_items'], log['n_val_items']
    assert sum(computed) == log['n_prepared'] <= first + train_items + val and log['n_prepared'] >= train_items + val
    assert log['seconds']['prepare'] > 0
    computed.clear()
    full = T.train(T.TrainConfig(**cfg, out_dir=str(tmp_path / 'train')))
    assert computed == [] and (tmp_path / 'train' / 'best_model.pt').is_file()  # everything came from the cache
    assert len(full['history']) == 2
