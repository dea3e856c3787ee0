"""Per task, how often the answer sits at its colour's slot and each mode's accuracy on those questions and on the rest,
from `ev.py`'s JSONL files (key=value: data = dataset folder, ev = ev.py's out folder)."""
import sys, json, glob, collections
from pathlib import Path
from gazeqwen.synth import _CSLOT, COLOURS
a = dict(x.split('=', 1) for x in sys.argv[1:])
qa = {}
for f in sorted(glob.glob(str(Path(a['data']) / 'qa' / '*.json'))):
    for ei, e in enumerate(json.load(open(f))):
        for qi, q in enumerate(e['questions']): qa[f'{Path(f).stem}/{ei}/{qi}'] = q

def slot(option):  # the slot of the first colour word of an option ("B. push the red ball" -> red's slot), else None
    return next((_CSLOT(w) for w in option.split('. ', 1)[1].split() if w in COLOURS), None)

for f in sorted(Path(a['ev']).glob('*.jsonl')):
    st = collections.defaultdict(lambda: [0, 0, 0, 0])  # at slot: n, right; elsewhere: n, right
    skipped = collections.Counter()  # by task: rows without a four-option question (proactive test points)
    for r in map(json.loads, open(f)):
        q = qa.get(r['question_id'])  # proactive test points ('.../0') have no entry of their own
        if q is None or len(q.get('options', [])) != 4: skipped[r['task']] += 1; continue
        i = 'ABCD'.index(q['answer']); at = slot(q['options'][i]) == i
        s = st[r['task']]; s[0 if at else 2] += 1; s[1 if at else 3] += r['correct']
    print(f.stem, {t: f"at slot {s[0] / (s[0] + s[2]):.0%}: {s[1] / max(s[0], 1):.0%} right; elsewhere {s[3] / max(s[2], 1):.0%}"
                   for t, s in sorted(st.items()) if t in ('OAR', 'OI-H', 'FAP', 'OTP', 'NFI')},
          'skipped (no four-option question):', dict(skipped))
