"""The `gazeqwen` command line as a new user meets it: help on every option, light `--help`, one-line errors."""
import argparse, json, subprocess, sys
from pathlib import Path
import pytest

from gazeqwen.cli import SUBCOMMANDS, CONFIGS, config_help, main
from gazeqwen.utils import config_from_argv

REPO = Path(__file__).resolve().parents[1]


def test_help_imports_no_torch():
    "`gazeqwen --help` and every `gazeqwen SUBCOMMAND --help` print without importing torch or transformers."
    code = ('import sys, contextlib, io\n'
            'from gazeqwen.cli import main, SUBCOMMANDS\n'
            'out = io.StringIO()\n'
            'with contextlib.redirect_stdout(out):\n'
            '    main(["--help"])\n'
            '    for c in SUBCOMMANDS:\n'
            '        try: main([c, "--help"])\n'
            '        except SystemExit as e: assert e.code == 0, (c, e.code)\n'
            'print(sorted(m for m in ("torch", "transformers") if m in sys.modules))\n'
            'print(out.getvalue().count("usage:"))\n')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stderr
    heavy, n_usage = r.stdout.split('\n')[:2]
    assert heavy == '[]', f'--help imported {heavy}'
    assert int(n_usage) == len(SUBCOMMANDS) + 1


def _parsers():
    "Every subcommand's argument parser, captured when its command line parses `--help`."
    seen = {}
    orig = argparse.ArgumentParser.parse_args
    def grab(self, args=None, namespace=None):
        seen[self.prog] = self; raise SystemExit(0)
    argparse.ArgumentParser.parse_args = grab
    try:
        for c, (mod, fn, _) in SUBCOMMANDS.items():
            if c in CONFIGS: continue
            with pytest.raises(SystemExit): getattr(__import__(mod, fromlist=[fn]), fn)(['--help'])
    finally: argparse.ArgumentParser.parse_args = orig
    from gazeqwen.utils import config_parser
    for c, cls in CONFIGS.items(): seen[f'gazeqwen {c}'] = config_parser(SUBCOMMANDS[c][0], cls, f'gazeqwen {c}')
    return seen


def test_every_option_has_help():
    "Each option of each subcommand says what it does (a sentence, not just its type)."
    parsers = _parsers()
    assert sorted(parsers) == sorted(f'gazeqwen {c}' for c in SUBCOMMANDS)
    missing = [(prog, a.option_strings or a.dest) for prog, p in parsers.items() for a in p._actions
               if not (a.help or '').strip() or (a.help or '').split(' (')[0].strip() in ('str', 'int', 'float', 'bool')]
    assert missing == [], f'options without help: {missing}'


def test_help_lists_the_choices():
    "`gazeqwen evaluate --help` shows the modes and protocols; train shows its modes and on-error policies."
    ev, tr = config_help('evaluate'), config_help('train')
    from gazeqwen.evaluate import MODES
    assert '--mode {' + ','.join(MODES) + '}' in ev
    assert '--protocol {aligned,reference}' in ev and '--on-error {skip,raise}' in ev
    assert '--mode {gazeqwen,lora_only}' in tr and '--on-error {raise,skip}' in tr
    assert 'which model answers' in ev and 'peak learning rate' in tr


@pytest.mark.parametrize('text, value', [('true', True), ('False', False), ('TRUE', True), ('1', True), ('0', False)])
def test_booleans(text, value):
    "Booleans take true/false in any case and 1/0."
    from gazeqwen.evaluate import EvalConfig
    cfg = config_from_argv(EvalConfig, ['--mode', 'no_gaze', '--model-path', 'm', '--data-root', 'd', '--out-path', 'o',
                                        '--progress', text], 'gazeqwen evaluate')
    assert cfg.progress is value


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    "(model folder, data folder, good but truncated checkpoint): enough for the checks that run before any model loads."
    d = tmp_path_factory.mktemp('cli')
    (d / 'model').mkdir(); (d / 'data').mkdir()
    import torch
    from gazeqwen.model import GazeLens
    from gazeqwen.checkpoint import save_gazeqwen_checkpoint
    torch.manual_seed(0)
    f = GazeLens(d_vjepa=8, d_llm=16, n_latents=2, d_latent=8, n_blocks=1, n_layers=4, injection_layers=[1])
    good = save_gazeqwen_checkpoint(d / 'good.pt', f, {}, None)
    (d / 'cut.pt').write_bytes(Path(good).read_bytes()[:200])
    return d


def _one_line(capsys, argv):
    "Exit status and stderr of `gazeqwen ARGV`."
    rc = main(argv)
    err = capsys.readouterr().err
    return rc, err


def _eval(d, *extra):
    return ['evaluate', '--model-path', str(d / 'model'), '--data-root', str(d / 'data'), '--out-path', str(d / 'p.jsonl'),
            *extra]


@pytest.mark.parametrize('extra, line', [
    (['--mode', 'gazeqwn'], "gazeqwen evaluate: error: argument --mode: invalid choice: 'gazeqwn' (choose from"),
    (['--mode', 'no_gaze', '--protocol', 'align'], "gazeqwen evaluate: error: argument --protocol: invalid choice: 'align'"),
    (['--mode', 'no_gaze', '--progress', 'maybe'], "gazeqwen evaluate: error: argument --progress: expected true/false or 1/0, got 'maybe'"),
    (['--mode', 'gazeqwen', '--checkpoint', 'missing.pt'], 'gazeqwen evaluate: error: checkpoint missing.pt: no such file'),
    (['--mode', 'gazeqwen', '--checkpoint', '{d}/cut.pt'], 'gazeqwen evaluate: error: {d}/cut.pt: cannot be read as a torch checkpoint'),
    (['--mode', 'no_gaze', '--data-root', '{d}/nope'], 'gazeqwen evaluate: error: data-root {d}/nope: no such folder'),
    (['--mode', 'no_gaze', '--config', '{d}/nope.json'], 'gazeqwen evaluate: error: --config {d}/nope.json: no such file'),
    (['--mode', 'no_gaze', '--batch-size', 'eight'], "gazeqwen evaluate: error: argument --batch-size: expected int, got 'eight'"),
])
def test_evaluate_mistakes_are_one_line(inputs, capsys, extra, line):
    "Each mistake: one line naming the option or file, status 2, no traceback."
    rc, err = _one_line(capsys, _eval(inputs, *[e.format(d=inputs) for e in extra]))
    assert rc == 2, err
    assert err.startswith(line.format(d=inputs)), err
    assert err.count('\n') == 1 and 'Traceback' not in err


def test_train_mistakes_are_one_line(inputs, capsys):
    "train: a bad mode, a missing option, a missing data folder."
    base = ['train', '--model-path', str(inputs / 'model'), '--out-dir', str(inputs / 'run')]
    for argv, line in [(base + ['--data-root', str(inputs / 'data'), '--mode', 'gazeqwn'], "gazeqwen train: error: argument --mode: invalid choice"),
                       (base, 'gazeqwen train: error: missing option(s) --data-root'),
                       (base + ['--data-root', str(inputs / 'nope')], f'gazeqwen train: error: data-root {inputs}/nope: no such folder')]:
        rc, err = _one_line(capsys, argv)
        assert (rc, err.count('\n')) == (2, 1) and err.startswith(line), err


def test_debug_keeps_the_traceback(inputs):
    "--debug: the same mistake raises, with its traceback."
    from gazeqwen.utils import ConfigError
    with pytest.raises(ConfigError, match='no such file'):
        main(_eval(inputs, '--mode', 'gazeqwen', '--checkpoint', 'missing.pt', '--debug'))
