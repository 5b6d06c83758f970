"""Which group each segment of a message belongs to, for the v2.xml tree.

A message structure is a tree of groups and segments with cardinalities; a
greedy walk of it goes wrong wherever a segment may either open a nested group
or a new repetition of an outer one (OML^O21's second ORC: a new ORDER, or an
ORDER_PRIOR inside the first order's PRIOR_RESULT?), and strands what follows
once it guessed wrong. So the match is a Viterbi search: the state after a
segment is the slot (segment position in the structure) it filled; a step to
the next slot closes groups up to one level and opens groups below it. Of all
readings, the matcher keeps the one with

- fewest segments no slot can take where they stand (written at the root, in place);
- then fewest required elements passed over (senders omit them: tolerated, never preferred);
- then, at the first segment where readings differ, the one opening fewer groups
  there (four ORDERs, not one ORDER holding three prior results; a ROL after PR1
  stays in its PROCEDURE), and on a tie the one keeping more groups open.

Segments the structure does not name (Z-segments, a later version's) stay right
after the segment before them. The result, a shape of segment indexes, is
cached by the sequence of segment ids: a feed repeats a few shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from carebridge.hl7 import definitions
from carebridge.hl7.definitions import Group

# Segment indexes, and groups as (name, their own shape), in document order.
Shape = tuple["int | tuple[str, Shape]", ...]

_SKIP = 1 << 40  # a segment written at the root, outside the structure
_MISSING = 1 << 20  # a required element passed over
_CACHED_LENGTH = 100  # longer messages are matched without caching their shape


@dataclass(frozen=True)
class _Slot:
    """One segment position of the structure."""

    name: str
    path: tuple[int, ...]  # child index at each level, from the root
    groups: tuple[Group, ...]  # the group at each level: groups[d].children[path[d]]


@dataclass(frozen=True)
class _Step:
    penalty: int  # required elements passed over
    opens: int  # groups it opens
    level: int  # the level of the group that stays open; -1: written at the root


# A state of the search: slot * 2, + 1 once a segment written at the root closed its groups.
# Its cost: (penalties so far, rank of its sequence of opens among the states kept).
_Cost = tuple[int, int]


class _Matcher:
    """A structure compiled to slots, with the steps between them."""

    def __init__(self, structure: Group) -> None:
        self.slots: list[_Slot] = []
        self._walk(structure, (), ())
        by_id: dict[str, list[int]] = {}
        for number, slot in enumerate(self.slots):
            by_id.setdefault(slot.name, []).append(number)
        self.by_id = {seg_id: tuple(numbers) for seg_id, numbers in by_id.items()}
        self._start = len(self.slots) * 2  # the state before MSH
        self._steps: dict[tuple[int, int], _Step | None] = {}

    def _walk(self, group: Group, path: tuple[int, ...], groups: tuple[Group, ...]) -> None:
        groups = (*groups, group)
        for index, child in enumerate(group.children):
            if child.group is not None:
                self._walk(child.group, (*path, index), groups)
            else:
                self.slots.append(_Slot(child.name, (*path, index), groups))

    # -- steps ------------------------------------------------------------------

    def step(self, state: int, target: int) -> _Step | None:
        """The best way from a state to a slot, None if the structure allows none."""
        key = (state, target)
        if key not in self._steps:
            self._steps[key] = self._cheapest(state, target)
        return self._steps[key]

    def _cheapest(self, state: int, target: int) -> _Step | None:
        b = self.slots[target]
        if state == self._start:
            return _Step(_opening(b, 0), len(b.path) - 1, 0)
        a = self.slots[state >> 1]
        shared = 0
        while shared < min(len(a.path), len(b.path)) and a.path[shared] == b.path[shared]:
            shared += 1
        deepest = 0 if state & 1 else min(shared, len(a.path) - 1, len(b.path) - 1)
        best: _Step | None = None
        for level in range(deepest, -1, -1):  # deepest first: ties keep the open groups
            penalty = _at_level(a, b, level)
            if penalty is None:
                continue
            step = _Step(penalty, len(b.path) - 1 - level, level)
            if best is None or (step.penalty, step.opens) < (best.penalty, best.opens):
                best = step
        return best

    def finish(self, state: int) -> int:
        """The required elements left out when every group closes after a state."""
        if state == self._start:
            return 0
        a = self.slots[state >> 1]
        return sum(_required(a.groups[d], a.path[d] + 1, None) for d in range(len(a.path)))

    # -- the search -------------------------------------------------------------

    def match(self, ids: tuple[str, ...]) -> list[tuple[int, int]]:
        """(slot, level) for each segment of ``ids`` (all named by the structure)."""
        states: dict[int, _Cost] = {self._start: (0, 0)}
        back: list[dict[int, tuple[int, int]]] = []
        for seg_id in ids:
            states, came = self._advance(states, self.by_id[seg_id])
            back.append(came)
        final = min(states, key=lambda s: (states[s][0] + self.finish(s), states[s][1], s & 1))
        path: list[tuple[int, int]] = []
        for came in reversed(back):
            previous, level = came[final]
            path.append((final >> 1, level))
            final = previous
        path.reverse()
        return path

    def _advance(self, states: dict[int, _Cost], targets: tuple[int, ...]
                 ) -> tuple[dict[int, _Cost], dict[int, tuple[int, int]]]:
        """One segment further: each reachable state by its best way there.

        Best is fewest penalties, then the earliest difference in groups opened
        (so a segment goes where it opens fewest groups, unless that costs a
        penalty later); ties keep the first found, the deepest open group.
        """
        if len(targets) == 1 and len(states) == 1:  # the common case, one way on
            [(state, (penalty, _))] = states.items()
            step = self.step(state, targets[0])
            if step is not None and step.penalty == 0:
                return {targets[0] * 2: (penalty, 0)}, {targets[0] * 2: (state, step.level)}
        new: dict[int, tuple[int, int, int]] = {}  # state: (penalties, previous rank, opens)
        came: dict[int, tuple[int, int]] = {}
        steps = self._steps
        for target in targets:
            for state, (penalty, rank) in states.items():
                key = (state, target)
                step = steps[key] if key in steps else self.step(state, target)
                if step is None:
                    continue
                cost = (penalty + step.penalty, rank, step.opens)
                if target * 2 not in new or cost < new[target * 2]:
                    new[target * 2] = cost
                    came[target * 2] = (state, step.level)
        # Or write this segment at the root: kept only while no reading is a root segment
        # better (those one worse are dropped), so only from states cheaper than any step.
        floor = min(cost[0] for cost in new.values()) if new else None
        for state, (penalty, rank) in states.items():
            if floor is not None and penalty >= floor:
                continue
            closed = state | 1 if state != self._start else state
            cost = (penalty + _SKIP, rank, 0)
            if closed not in new or cost < new[closed]:
                new[closed] = cost
                came[closed] = (state, -1)
        limit = min(cost[0] for cost in new.values()) + _SKIP
        kept = {s: cost for s, cost in new.items() if cost[0] < limit}
        if len(kept) == 1:
            return {s: (cost[0], 0) for s, cost in kept.items()}, came
        ranks = {pair: n for n, pair in enumerate(sorted({c[1:] for c in kept.values()}))}
        return {s: (cost[0], ranks[cost[1:]]) for s, cost in kept.items()}, came


def _at_level(a: _Slot, b: _Slot, level: int) -> int | None:
    """Required elements passed over stepping from a to b with the group at ``level`` open.

    None when the structure does not allow the step: b before a in that group,
    another branch of a choice, or a repetition the cardinality forbids.
    """
    group = a.groups[level]
    i, j = a.path[level], b.path[level]
    if j < i or (j > i and group.choice):
        return None
    if j == i and group.children[i].max == 1:
        return None  # a new repetition of a child that does not repeat
    cost = _required(group, i + 1, j) if j > i else 0
    cost += sum(_required(a.groups[d], a.path[d] + 1, None) for d in range(level + 1, len(a.path)))
    return cost + _opening(b, level + 1)


def _opening(b: _Slot, level: int) -> int:
    """Required elements before b in each group opened below ``level``."""
    return sum(_required(b.groups[d], 0, b.path[d]) for d in range(level, len(b.path)))


def _required(group: Group, start: int, stop: int | None) -> int:
    if group.choice:
        return 0
    return _MISSING * sum(1 for child in group.children[start:stop] if child.min > 0)


# -- shapes -------------------------------------------------------------------------


def _matcher(version: str, structure_id: str) -> _Matcher | None:
    """Compiled once per known structure (an unknown MSH-9.3 is not kept)."""
    if definitions.structure(version, structure_id) is None:
        return None
    return _compiled(version, structure_id)


@cache
def _compiled(version: str, structure_id: str) -> _Matcher:
    structure = definitions.structure(version, structure_id)
    assert structure is not None
    return _Matcher(structure)


def shape(version: str, structure_id: str, ids: tuple[str, ...]) -> Shape:
    """The group tree of a message with these segment ids (flat without a structure)."""
    if len(ids) > _CACHED_LENGTH:
        return _shape(version, structure_id, ids)
    return _cached_shape(version, structure_id, ids)


@lru_cache(maxsize=4096)
def _cached_shape(version: str, structure_id: str, ids: tuple[str, ...]) -> Shape:
    return _shape(version, structure_id, ids)


def _shape(version: str, structure_id: str, ids: tuple[str, ...]) -> Shape:
    matcher = _matcher(version, structure_id)
    if matcher is None:
        return tuple(range(len(ids)))
    known = [n for n, seg_id in enumerate(ids) if seg_id in matcher.by_id]
    steps = dict(zip(known, matcher.match(tuple(ids[n] for n in known)), strict=True))
    root: list[object] = []
    open_: list[list[object]] = [root]  # the open group at each level of the last slot
    for number in range(len(ids)):
        if number not in steps:
            open_[-1].append(number)  # beside the segment before it
            continue
        slot_number, level = steps[number]
        if level < 0:
            del open_[1:]
            root.append(number)
            continue
        slot = matcher.slots[slot_number]
        del open_[level + 1:]
        for d in range(level + 1, len(slot.path)):
            items: list[object] = []
            open_[-1].append((slot.groups[d - 1].children[slot.path[d - 1]].name, items))
            open_.append(items)
        open_[-1].append(number)
    return _frozen(root)


def _frozen(items: list[object]) -> Shape:
    out: list[int | tuple[str, Shape]] = []
    for item in items:
        if isinstance(item, tuple):
            name, sub = item
            out.append((name, _frozen(sub)))
        else:
            assert isinstance(item, int)
            out.append(item)
    return tuple(out)
