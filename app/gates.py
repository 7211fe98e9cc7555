"""The two QA gates a batch passes through, as COIG ran them, configurable per project.

Stage 1 (inspection)
    An inspector checks every annotated sample of the batch: agree, or disagree with a reason from
    the project's error list (the lead edits it). The batch passes if the share agreed is at least
    the threshold (COIG: 95 %).
Stage 2 (the expert's check)
    An expert checks a random sample (COIG: 200; all of them if the batch is smaller) drawn with a
    seed from the samples stage 1 checked. It passes only if the share right is at least its
    threshold — by default 1: every one.
Rework
    A batch failing either stage goes back to its annotator (:func:`send_back`): its state is
    ``assigned`` again, its rework round goes up by one, the samples found wrong are marked
    ``needs_fix``, and the reasons stay readable (:func:`rework_reasons`); a new work package can be
    made from it. It then comes through both gates again.
The correction phase
    After a batch passed both gates, :func:`start_correction` opens the same gates for the samples
    labelled 3 (COIG: "needs human correction") once they are corrected.
Routing
    The inspection queue puts first the samples most likely wrong (:func:`route`): the machine draft
    changed a lot (post-edit distance at least ``heavy_edit``), labelled 3 but the draft barely
    changed (at most ``light_edit``), or decided faster than ``fast_seconds``.

The verdicts are pure functions of counts and a threshold (:func:`passes`, exact fractions); every
change of the store here is a named, undoable operation.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import orjson

from app.agreement import post_edit_distance
from app.i18n import N_, _, ngettext
from app.packages.assign import batches, find_batch
from app.records import iter_text
from app.store.actions import JUDGEMENT_KEY
from app.store.ops import Changes, operation
from app.store.project import Project, ProjectError, now_iso

PHASES = ("annotate", "correct")
# Stage 1 can start on a batch in these states: it came back from its annotator (returned, merged) or
# is worked in this project itself (assigned). An exported batch is out as a package: merge it first.
READY_STATES = ("assigned", "returned", "merged")

# The error list a new project starts with (COIG's inspectors checked translation, facts, the label
# and the form); the lead edits it per project.
DEFAULT_REASONS = (
    "翻译错误",
    "事实错误",
    "标签错误",
    "修改不充分",
    "指令与回答不符",
    "格式或标点问题",
    "其他",
)


@dataclass(frozen=True)
class QaSettings:
    stage1_threshold: Fraction = Fraction(95, 100)
    stage2_sample_size: int = 200
    stage2_threshold: Fraction = Fraction(1)
    stage2_seed: int = 0
    fast_seconds: float = 3.0
    """A decision quicker than this is suspicious: inspected first."""
    heavy_edit: Fraction = Fraction(3, 10)
    light_edit: Fraction = Fraction(5, 100)
    error_reasons: tuple[str, ...] = DEFAULT_REASONS

    def as_store(self) -> dict[str, str]:
        return {
            "stage1_threshold": str(self.stage1_threshold),
            "stage2_sample_size": str(self.stage2_sample_size),
            "stage2_threshold": str(self.stage2_threshold),
            "stage2_seed": str(self.stage2_seed),
            "fast_seconds": repr(float(self.fast_seconds)),
            "heavy_edit": str(self.heavy_edit),
            "light_edit": str(self.light_edit),
            "error_reasons": orjson.dumps(list(self.error_reasons)).decode(),
        }


def _parse_setting(key: str, text: str) -> Any:
    if key in ("stage1_threshold", "stage2_threshold", "heavy_edit", "light_edit"):
        return Fraction(text)
    if key in ("stage2_sample_size", "stage2_seed"):
        return int(text)
    if key == "fast_seconds":
        return float(text)
    if key == "error_reasons":
        return tuple(orjson.loads(text))
    raise ProjectError(f"unknown QA setting {key!r}")


# Pure ---------------------------------------------------------------------------------------------


def ratio(threshold: Fraction | float | str) -> Fraction:
    """A threshold as an exact fraction: ``0.95``, ``"95%"``, ``"19/20"`` are all 19/20."""
    if isinstance(threshold, str) and threshold.strip().endswith("%"):
        value = Fraction(threshold.strip()[:-1]) / 100
    else:
        value = Fraction(str(threshold)) if isinstance(threshold, float) else Fraction(threshold)
    if not 0 <= value <= 1:
        raise ProjectError(_("a threshold is between 0 and 1 (0 %–100 %), not {value}").format(value=threshold))
    return value


def passes(checked: int, agreed: int, threshold: Fraction) -> bool:
    """A gate's verdict: at least ``threshold`` of the checked samples were right (nothing checked
    never passes)."""
    return checked > 0 and Fraction(agreed, checked) >= threshold


def allowed_disagreements(checked: int, threshold: Fraction) -> int:
    """How many of ``checked`` may be found wrong with the gate still passing."""
    if checked == 0:
        return 0
    return max(0, checked - _ceil(threshold * checked))


def _ceil(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)


def draw_sample(ids: Iterable[int], size: int, seed: int | str) -> list[int]:
    """A reproducible random sample of ``size`` ids (all of them if there are fewer), sorted."""
    pool = sorted(set(ids))
    if size >= len(pool):
        return pool
    return sorted(random.Random(seed).sample(pool, size))


def stage2_seed(settings: QaSettings, batch: Mapping[str, Any]) -> str:
    """The seed of a batch's stage-2 draw: the same batch, phase and round always draw the same samples."""
    return f"{settings.stage2_seed}/{batch['seed']}/{batch['id']}/{batch['phase']}/{batch['round']}"


@dataclass(frozen=True)
class RoutingInfo:
    sample_id: int
    label: int | None = None
    seconds: float | None = None
    """How long the annotator's decision took."""
    edit: Fraction | None = None
    """Post-edit distance between the machine draft and the final text (None: no draft)."""


ROUTING_REASONS = {
    "heavy_edit": "machine draft changed a lot",
    "label3_light_edit": "labelled 3 but the draft barely changed",
    "fast": "decided suspiciously fast",
}


@dataclass(frozen=True)
class Routed:
    info: RoutingInfo
    reasons: tuple[str, ...] = field(default_factory=tuple)


def routing_reasons(info: RoutingInfo, settings: QaSettings) -> tuple[str, ...]:
    reasons = []
    if info.edit is not None and info.edit >= settings.heavy_edit:
        reasons.append("heavy_edit")
    if info.label == 3 and info.edit is not None and info.edit <= settings.light_edit:
        reasons.append("label3_light_edit")
    if info.seconds is not None and info.seconds < settings.fast_seconds:
        reasons.append("fast")
    return tuple(reasons)


def route(infos: Iterable[RoutingInfo], settings: QaSettings) -> list[Routed]:
    """The inspection queue: samples with routing reasons first (more reasons first, then the larger
    edit, then the quicker decision), then the rest by id."""
    routed = [Routed(info, routing_reasons(info, settings)) for info in infos]

    def key(item: Routed) -> tuple:
        info = item.info
        if not item.reasons:
            return (1, 0, 0, 0, info.sample_id)
        seconds = info.seconds if info.seconds is not None else float("inf")
        return (0, -len(item.reasons), -(info.edit or 0), seconds, info.sample_id)

    return sorted(routed, key=key)


# Settings -------------------------------------------------------------------------------------------


def qa_settings(project: Project) -> QaSettings:
    stored = dict(project.db.execute("SELECT key, value FROM qa_settings").fetchall())
    return replace(QaSettings(), **{key: _parse_setting(key, value) for key, value in stored.items()})


def set_qa_settings(project: Project, **values: Any) -> Changes:
    """Change QA settings of the project (thresholds, sample size, seed, routing limits, error list)."""
    current = qa_settings(project)
    try:
        wanted = replace(current, **values)
    except TypeError as error:
        raise ProjectError(f"unknown QA setting: {error}") from None
    wanted = replace(
        wanted,
        stage1_threshold=ratio(wanted.stage1_threshold),
        stage2_threshold=ratio(wanted.stage2_threshold),
        heavy_edit=ratio(wanted.heavy_edit),
        light_edit=ratio(wanted.light_edit),
        error_reasons=tuple(r.strip() for r in wanted.error_reasons if r.strip()),
    )
    if wanted.stage2_sample_size < 1:
        raise ProjectError(_("the expert's sample holds at least one sample"))
    if not wanted.error_reasons:
        raise ProjectError(_("the error list needs at least one reason"))
    with operation(project, "set_qa_settings", N_("change the QA gate settings")) as op:
        for key, value in wanted.as_store().items():
            row = op.conn.execute("SELECT id FROM qa_settings WHERE key = ?", (key,)).fetchone()
            if row is not None:
                op.update("qa_settings", row[0], {"value": value})
            elif value != QaSettings().as_store()[key]:
                op.insert("qa_settings", {"key": key, "value": value})
    return op.changes


def set_error_reasons(project: Project, reasons: Sequence[str]) -> Changes:
    return set_qa_settings(project, error_reasons=tuple(reasons))


# Reading a batch's gate ---------------------------------------------------------------------------


_GATE_COLUMNS = ("phase", "round", "gate_stage", "seed")


def batch_info(project: Project, batch: str | int | Mapping[str, Any]) -> dict[str, Any]:
    """A batch (by name, id or row) with its phase, rework round, gate stage and seed."""
    return find_batch(project, batch["id"] if isinstance(batch, Mapping) else batch, columns=_GATE_COLUMNS)


def batch_infos(project: Project) -> list[dict[str, Any]]:
    """Every batch as :func:`batch_info` gives it, oldest first, in one query however many batches there
    are (the gate listing and the gate panel's batch list ask this, not ``batch_info`` per batch)."""
    return batches(project, columns=_GATE_COLUMNS)


def due_stage(batch: Mapping[str, Any]) -> int | None:
    """The stage the batch is at or waits for (None: through both gates, or failed)."""
    if batch["state"] == "failed" or batch["gate_stage"] >= 2:
        return None
    return batch["gate_stage"] + 1


def annotated_samples(project: Project, batch: Mapping[str, Any]) -> list[int]:
    """The samples stage 1 checks: in the annotation phase every sample of the batch somebody decided
    (an annotation review, or a status other than new); in the correction phase those labelled 3."""
    if batch["phase"] == "correct":
        sql = (
            "SELECT bs.sample_id FROM batch_samples bs JOIN samples s ON s.id = bs.sample_id"
            " WHERE bs.batch_id = ? AND s.deleted = 0 AND (s.label = 3 OR EXISTS (SELECT 1 FROM reviews r"
            " WHERE r.sample_id = bs.sample_id AND r.stage = 'annotate' AND r.label = 3)) ORDER BY bs.sample_id"
        )
    else:
        sql = (
            "SELECT bs.sample_id FROM batch_samples bs JOIN samples s ON s.id = bs.sample_id"
            " WHERE bs.batch_id = ? AND s.deleted = 0 AND (s.status != 'new' OR EXISTS (SELECT 1 FROM reviews r"
            " WHERE r.sample_id = bs.sample_id AND r.stage = 'annotate')) ORDER BY bs.sample_id"
        )
    return [row[0] for row in project.db.execute(sql, (batch["id"],))]


def stage_samples(project: Project, batch: Mapping[str, Any], stage: int, settings: QaSettings) -> list[int]:
    annotated = annotated_samples(project, batch)
    if stage == 1:
        return annotated
    return draw_sample(annotated, settings.stage2_sample_size, stage2_seed(settings, batch))


def _ids_param(sample_ids: Iterable[int]) -> tuple[str]:
    """``sample_ids`` as the one parameter of ``IN (SELECT value FROM json_each(?))``: any number of ids."""
    return (orjson.dumps(list(sample_ids)).decode(),)


def routing_info(project: Project, sample_ids: Sequence[int]) -> list[RoutingInfo]:
    """Label, the annotator's time and the post-edit distance of each sample (three queries in all,
    not three per sample: the gate panel and the dashboard ask this for a whole batch)."""
    ids = _ids_param(sample_ids)
    samples = {
        sample_id: (label, content_json)
        for sample_id, label, content_json in project.db.execute(
            "SELECT id, label, content FROM samples WHERE id IN (SELECT value FROM json_each(?))", ids
        )
    }
    # Ordered by id: each sample keeps its latest annotation's time.
    seconds = dict(
        project.db.execute(
            "SELECT sample_id, seconds FROM reviews WHERE sample_id IN (SELECT value FROM json_each(?))"
            " AND stage = 'annotate' AND seconds IS NOT NULL ORDER BY id",
            ids,
        ).fetchall()
    )
    drafts = latest_drafts(project, sample_ids)
    infos = []
    for sample_id in sample_ids:
        label, content_json = samples[sample_id]
        draft = drafts.get(sample_id)
        edit = None if draft is None else post_edit_distance(*draft_texts(draft, content_json))
        infos.append(RoutingInfo(sample_id, label, seconds.get(sample_id), edit))
    return infos


def latest_drafts(project: Project, sample_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each sample's latest machine draft not dismissed, in one query (a sample without one is left
    out). A judge's score is no draft of the text."""
    drafts: dict[int, dict[str, Any]] = {}
    for sample_id, draft_json in project.db.execute(
        "SELECT sample_id, content FROM suggestions WHERE sample_id IN (SELECT value FROM json_each(?))"
        " AND state != 'dismissed' ORDER BY sample_id, id DESC",
        _ids_param(sample_ids),
    ):
        if sample_id in drafts:  # an older draft of a sample already found
            continue
        draft = orjson.loads(draft_json)
        if isinstance(draft, dict) and JUDGEMENT_KEY not in draft:
            drafts[sample_id] = draft
    return drafts


def draft_texts(draft: dict[str, Any], content_json: str) -> tuple[str, str]:
    """The text of a machine draft, and the text of the same fields of the sample's content now."""
    content = orjson.loads(content_json)
    final = {key: content.get(key) for key in draft} if isinstance(content, dict) else content
    return "\n".join(iter_text(draft)), "\n".join(iter_text(final))


def draft_edit(project: Project, sample_id: int, content_json: str | None = None) -> Fraction | None:
    """Post-edit distance between the sample's latest machine draft and its text now (None: no draft)."""
    texts = draft_and_final(project, sample_id, content_json)
    return None if texts is None else post_edit_distance(*texts)


def draft_and_final(project: Project, sample_id: int, content_json: str | None = None) -> tuple[str, str] | None:
    """The text of the sample's latest machine draft not dismissed, and the text of the same fields now
    (None: no draft). A judge's score is no draft of the text."""
    draft = latest_drafts(project, (sample_id,)).get(sample_id)
    if draft is None:
        return None
    if content_json is None:
        content_json = project.db.execute("SELECT content FROM samples WHERE id = ?", (sample_id,)).fetchone()[0]
    return draft_texts(draft, content_json)


@dataclass
class Check:
    sample_id: int
    checker: str
    agree: bool
    reason: str
    comment: str
    seconds: float | None
    created_at: str


@dataclass
class GateStatus:
    batch: dict[str, Any]
    stage: int | None
    settings: QaSettings
    queue: list[Routed]
    """The stage's samples in the order to check them."""
    checks: dict[int, Check]
    results: list[dict[str, Any]]

    @property
    def threshold(self) -> Fraction:
        return self.settings.stage2_threshold if self.stage == 2 else self.settings.stage1_threshold

    @property
    def total(self) -> int:
        return len(self.queue)

    @property
    def checked(self) -> int:
        return len(self.checks)

    @property
    def agreed(self) -> int:
        return sum(1 for c in self.checks.values() if c.agree)

    @property
    def disagreed(self) -> int:
        return self.checked - self.agreed

    @property
    def allowed(self) -> int:
        """Disagreements the whole stage may have and still pass."""
        return allowed_disagreements(self.total, self.threshold)

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.checked >= self.total

    @property
    def verdict(self) -> bool | None:
        """True/False once every sample is checked (or it can no longer pass); None before."""
        if self.total and self.disagreed > self.allowed:
            return False
        if not self.complete:
            return None
        return passes(self.checked, self.agreed, self.threshold)

    @property
    def open(self) -> bool:
        return self.batch["state"] == "inspecting"

    def next_unchecked(self) -> int | None:
        return next((r.info.sample_id for r in self.queue if r.info.sample_id not in self.checks), None)


def gate_status(project: Project, batch: str | int | Mapping[str, Any]) -> GateStatus:
    found = batch_info(project, batch)
    settings = qa_settings(project)
    stage = due_stage(found)
    queue: list[Routed] = []
    checks: dict[int, Check] = {}
    if stage is not None:
        ids = stage_samples(project, found, stage, settings)
        queue = (
            route(routing_info(project, ids), settings)
            if stage == 1
            else [Routed(info) for info in routing_info(project, ids)]
        )
        checks = stage_checks(project, found, stage)
    return GateStatus(found, stage, settings, queue, checks, gate_results(project, found["id"]))


def stage_checks(project: Project, batch: Mapping[str, Any], stage: int) -> dict[int, Check]:
    """The checks made so far at ``stage`` in the batch's current phase and round, by sample."""
    return {
        row[0]: Check(row[0], row[1], bool(row[2]), row[3], row[4], row[5], row[6])
        for row in project.db.execute(
            "SELECT sample_id, checker, agree, reason, comment, seconds, created_at FROM gate_checks"
            " WHERE batch_id = ? AND phase = ? AND round = ? AND stage = ?",
            (batch["id"], batch["phase"], batch["round"], stage),
        )
    }


def gate_results(project: Project, batch_id: int | None = None) -> list[dict[str, Any]]:
    """Every gate decision (of one batch, or all), oldest first."""
    keys = ("id", "batch_id", "batch", "annotator", "phase", "round", "stage", "checked", "agreed", "threshold",
            "passed", "seed", "sample_ids", "decided_by", "decided_at")  # fmt: skip
    rows = project.db.execute(
        "SELECT g.id, g.batch_id, b.name, b.annotator, g.phase, g.round, g.stage, g.checked, g.agreed, g.threshold,"
        " g.passed, g.seed, g.sample_ids, g.decided_by, g.decided_at"
        " FROM gate_results g JOIN batches b ON b.id = g.batch_id"
        + (" WHERE g.batch_id = ?" if batch_id is not None else "")
        + " ORDER BY g.id",
        [batch_id] if batch_id is not None else [],
    ).fetchall()
    results = []
    for row in rows:
        result = dict(zip(keys, row, strict=True))
        result["threshold"] = Fraction(result["threshold"])
        result["passed"] = bool(result["passed"])
        result["sample_ids"] = orjson.loads(result["sample_ids"])
        results.append(result)
    return results


# Operations ----------------------------------------------------------------------------------------


def start_gate(project: Project, batch: str | int | Mapping[str, Any]) -> Changes:
    """Open the batch's next stage for checking (state ``inspecting``)."""
    found = batch_info(project, batch)
    stage = due_stage(found)
    if found["state"] == "inspecting":
        raise ProjectError(
            _("batch {batch} is being checked already (stage {stage})").format(batch=found["name"], stage=stage)
        )
    if stage is None:
        if found["state"] == "failed":
            what = _("batch {batch} failed: send it back to its annotator first")
        else:
            what = _("batch {batch} passed both gates")
        raise ProjectError(what.format(batch=found["name"]))
    if found["state"] == "exported":
        raise ProjectError(
            _("batch {batch} is out as a work package; merge it back before checking it").format(batch=found["name"])
        )
    if stage == 1 and found["state"] not in READY_STATES:
        raise ProjectError(
            _("batch {batch} is {state}; it cannot be inspected now").format(batch=found["name"], state=found["state"])
        )
    if not annotated_samples(project, found):
        raise ProjectError(_("batch {batch} has no annotated samples to check yet").format(batch=found["name"]))
    if stage == 1:
        summary = N_("start the stage 1 inspection of batch {batch}").format(batch=found["name"])
    else:
        summary = N_("start the stage 2 expert check of batch {batch}").format(batch=found["name"])
    with operation(project, "start_gate", summary) as op:
        op.update("batches", found["id"], {"state": "inspecting"})
    return op.changes


def record_check(
    project: Project,
    batch: str | int | Mapping[str, Any],
    sample_id: int,
    *,
    agree: bool,
    reason: str = "",
    comment: str = "",
    seconds: float | None = None,
    checker: str | None = None,
) -> Changes:
    """An inspector's or expert's judgement of one sample: agree, or disagree with a reason from the
    project's error list. Checking a sample again replaces the earlier check (one undo step each)."""
    found = batch_info(project, batch)
    stage = due_stage(found)
    if found["state"] != "inspecting" or stage is None:
        raise ProjectError(_("batch {batch} is not being checked; start its gate first").format(batch=found["name"]))
    settings = qa_settings(project)
    if sample_id not in stage_samples(project, found, stage, settings):
        raise ProjectError(
            _("sample {id} is not among the samples stage {stage} checks in {batch}").format(
                id=sample_id, stage=stage, batch=found["name"]
            )
        )
    reason = reason.strip()
    if not agree and reason not in settings.error_reasons:
        raise ProjectError(
            _("a disagreement needs a reason from the error list: {reasons}").format(
                reasons="、".join(settings.error_reasons)
            )
        )
    values = {
        "checker": checker or project.author,
        "agree": int(agree),
        "reason": "" if agree else reason,
        "comment": comment,
        "seconds": seconds,
        "created_at": now_iso(),
    }
    if agree:
        summary = N_("stage {stage}: agree with sample {id}").format(stage=stage, id=sample_id)
    else:
        summary = N_("stage {stage}: disagree ({reason}) with sample {id}").format(
            stage=stage, reason=reason, id=sample_id
        )
    with operation(project, "gate_check", summary) as op:
        row = op.conn.execute(
            "SELECT id FROM gate_checks WHERE batch_id = ? AND phase = ? AND round = ? AND stage = ? AND sample_id = ?",
            (found["id"], found["phase"], found["round"], stage, sample_id),
        ).fetchone()
        if row is None:
            op.insert(
                "gate_checks",
                {
                    "batch_id": found["id"],
                    "phase": found["phase"],
                    "round": found["round"],
                    "stage": stage,
                    "sample_id": sample_id,
                    **values,
                },
            )
        else:
            op.update("gate_checks", row[0], values)
    return op.changes


@dataclass
class GateDecision:
    batch: str
    stage: int
    checked: int
    agreed: int
    threshold: Fraction
    passed: bool
    changes: Changes

    @property
    def agreement(self) -> Fraction:
        return Fraction(self.agreed, self.checked) if self.checked else Fraction(0)


def decide_gate(project: Project, batch: str | int | Mapping[str, Any]) -> GateDecision:
    """Record the stage's verdict: passed (stage 1 → the expert's check is due; stage 2 → through) or
    failed (back to the annotator with :func:`send_back`). Every sample must have been checked,
    unless the disagreements already rule a pass out."""
    status = gate_status(project, batch)
    found = status.batch
    if not status.open or status.stage is None:
        raise ProjectError(_("batch {batch} is not being checked").format(batch=found["name"]))
    verdict = status.verdict
    if verdict is None:
        raise ProjectError(
            ngettext(
                "{left} of {total} samples of {batch} is not checked yet",
                "{left} of {total} samples of {batch} are not checked yet",
                status.total - status.checked,
            ).format(left=status.total - status.checked, total=status.total, batch=found["name"])
        )
    stage = status.stage
    seed = stage2_seed(status.settings, found) if stage == 2 else None
    summary = (
        N_("batch {batch} passed stage {stage} ({agreed}/{checked} agreed)")
        if verdict
        else N_("batch {batch} failed stage {stage} ({agreed}/{checked} agreed)")
    ).format(batch=found["name"], stage=stage, agreed=status.agreed, checked=status.checked)
    with operation(project, "decide_gate", summary) as op:
        op.insert(
            "gate_results",
            {
                "batch_id": found["id"],
                "phase": found["phase"],
                "round": found["round"],
                "stage": stage,
                "checked": status.checked,
                "agreed": status.agreed,
                "threshold": str(status.threshold),
                "passed": int(verdict),
                "seed": None if seed is None else status.settings.stage2_seed,
                "sample_ids": orjson.dumps([r.info.sample_id for r in status.queue]).decode(),
                "decided_by": project.author,
                "decided_at": now_iso(),
            },
        )
        values: dict[str, Any] = {"state": "passed" if verdict else "failed"}
        if verdict:
            values["gate_stage"] = stage
        op.update("batches", found["id"], values)
    return GateDecision(found["name"], stage, status.checked, status.agreed, status.threshold, verdict, op.changes)


def rework_reasons(project: Project, batch: str | int | Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the checkers found wrong in the batch's latest failed stage: sample, reason, comment, who."""
    found = batch_info(project, batch)
    last = project.db.execute(
        "SELECT phase, round, stage FROM gate_results WHERE batch_id = ? AND passed = 0 ORDER BY id DESC LIMIT 1",
        (found["id"],),
    ).fetchone()
    if last is None:
        return []
    keys = ("sample_id", "reason", "comment", "checker", "stage", "round")
    return [
        dict(zip(keys, row, strict=True))
        for row in project.db.execute(
            "SELECT sample_id, reason, comment, checker, stage, round FROM gate_checks WHERE batch_id = ? AND phase = ?"
            " AND round = ? AND stage = ? AND agree = 0 ORDER BY sample_id",
            (found["id"], *last),
        )
    ]


def send_back(project: Project, batch: str | int | Mapping[str, Any]) -> Changes:
    """A failed batch goes back to its annotator: ``assigned`` again, the next rework round, and the
    samples found wrong marked ``needs_fix``. It comes back through both gates."""
    found = batch_info(project, batch)
    if found["state"] != "failed":
        raise ProjectError(
            _("batch {batch} is {state}; only a failed batch goes back for rework").format(
                batch=found["name"], state=found["state"]
            )
        )
    wrong = sorted({r["sample_id"] for r in rework_reasons(project, found)})
    summary = N_("send batch {batch} back to {annotator} (round {round}, {n} to fix)").format(
        batch=found["name"], annotator=found["annotator"], round=found["round"] + 1, n=len(wrong)
    )
    with operation(project, "rework_batch", summary) as op:
        op.update("batches", found["id"], {"state": "assigned", "round": found["round"] + 1, "gate_stage": 0})
        stamp = now_iso()
        for sample_id in wrong:
            if op.update("samples", sample_id, {"status": "needs_fix"}):
                op.update("samples", sample_id, {"updated_at": stamp})
    return op.changes


def start_correction(project: Project, batch: str | int | Mapping[str, Any]) -> Changes:
    """After both gates: the batch's label-3 samples are corrected and go through the same gates."""
    found = batch_info(project, batch)
    if found["phase"] != "annotate" or found["gate_stage"] < 2:
        raise ProjectError(
            _("batch {batch} has not passed both gates of the annotation phase").format(batch=found["name"])
        )
    summary = N_("correction phase of batch {batch}").format(batch=found["name"])
    with operation(project, "start_correction", summary) as op:
        op.update("batches", found["id"], {"phase": "correct", "round": 0, "gate_stage": 0, "state": "assigned"})
    return op.changes
