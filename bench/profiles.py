"""Reading py-spy's collapsed stacks: which functions the sampled time went to."""

import re
from collections import Counter

# A frame: either the `process PID:"command line"` that py-spy puts above each process's
# stacks (a command line may hold a `;` itself), or a function, up to the next `;`.
_FRAME = re.compile(r'process \d+:".*?"(?=;|$)|[^;]+')


def hottest(collapsed: str, count: int = 20) -> list[tuple[str, float, float]]:
    """The `count` functions with the largest share of samples, with their own share.

    `collapsed` has one line per distinct stack: its frames, outermost first, joined by
    `;`, then a space and its number of samples. A function's share counts every sample
    it is on the stack of (once, even when recursive); its own share, those where it is
    the innermost frame.
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        frames = [frame for frame in _FRAME.findall(stack) if not frame.startswith("process ")]
        total += int(samples)
        inclusive.update(dict.fromkeys(frames, int(samples)))
        if frames:
            own[frames[-1]] += int(samples)
    if not total:
        return []
    return [
        (frame, samples / total, own[frame] / total)
        for frame, samples in inclusive.most_common(count)
    ]
