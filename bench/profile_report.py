"""Summarise py-spy raw (collapsed) output: `python -m bench.profile_report raw.txt [N]`.

Record with: py-spy record -r 200 --gil --threads -f raw -o raw.txt -- python -m bench.run ...
Prints the share of samples per thread kind, the top functions by inclusive share, and by
self share (the leaf frame).
"""
import re
import sys
from collections import Counter


def parse(path):
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        yield stack.split(";"), int(count)


def thread_kind(frame: str) -> str:
    """'thread (123): worker-1' -> 'worker'; werkzeug's request threads are 'Thread-N (...)'."""
    name = frame.split(": ", 1)[-1].strip().strip('"')
    name = re.sub(r"\s*\(.*\)$", "", name)
    return re.sub(r"[-\d]+$", "", name) or name


def short(frame: str) -> str:
    # "func (module/path.py:123)" -> "func (path.py)"; drop line numbers to merge samples
    frame = re.sub(r":\d+\)$", ")", frame)
    frame = re.sub(r"\(.*?/(site-packages|lib/python3\.\d+|main)/", "(", frame)
    return frame


def main(path, top=25):
    total = 0
    by_thread, inclusive, selfc = Counter(), Counter(), Counter()
    for frames, count in parse(path):
        total += count
        by_thread[thread_kind(frames[0])] += count
        seen = set()
        for f in frames[1:]:
            s = short(f)
            if s not in seen:
                inclusive[s] += count
                seen.add(s)
        selfc[short(frames[-1])] += count
    print(f"samples: {total}")
    print("\n== by thread ==")
    for k, v in by_thread.most_common():
        print(f"{100 * v / total:6.1f}%  {k}")
    print("\n== inclusive ==")
    for k, v in inclusive.most_common(top):
        print(f"{100 * v / total:6.1f}%  {k}")
    print("\n== self ==")
    for k, v in selfc.most_common(top):
        print(f"{100 * v / total:6.1f}%  {k}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
