"""The one verifier of the trusted side: what the write job believes, and why (SPEC §11).

The bot job holds the write token; everything it receives was made on GPU
runners, the least trusted machines of the setup. Before ANY write, in every
mode (PR, ``--dry-run``, ``--apply-local``), ``verify`` re-derives what the
bot acts on from those files and refuses (InputError, exit 2, zero writes)
on any mismatch:

1. the verdict: the gate re-judges the loso files it pins (present beside it,
   regular files, pinned sha256) under its re-validated thresholds, and every
   judged field and the file name must equal the gate's (``gate.rejudge``);
2. the plan must be made from this verdict (its sha256 and pins), for the
   ensemble id the bot was given (``--ensemble-id``);
3. destinations are derived, never read from the plan (``bot.registry.destinations``):
   rows ``<ensemble_id>_seed<N>`` of the re-judged flip set, files beside the
   registry; the plan's rows and files must be exactly those, nothing else;
4. every artefact is a regular file of the export folder (no symlinks) with
   the plan's sha256; each row's sha256 is its ONNX file's (the manifest's for
   the ensemble row); each sidecar names that row, seed, file and sha256
   (``bot.trust.shipped``);
5. the recipe of every shipped model (the plan's and each sidecar's
   ``training.recipe``) equals the recipe the gate judged, unless
   ``--allow-recipe-override`` (the PR then says so in bold);
6. the corpus the verdict pins, read from the base (PR mode: the base commit;
   locally: the file inside the repository), has the pinned sha256, and the
   ONNX files meet the contract and behave on it (``bot.trust.models``);
7. after the registry edit, ``check_commit``: the committed registry is the
   bot's own rewrite, and each flipped row's sha256 is the sha256 of the bytes
   committed at that row's file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from bot.flip import BaseView, Flip, ShippedFile, load_calibration, load_drift
from bot.registry import RegistryEdit, Target, clean_repo_path, derive_targets, registry_rows
from bot.trust.models import check_models
from bot.trust.shipped import parse_json_bytes, read_artifacts
from flipbot.errors import InputError
from flipbot.jsonfile import sha256_bytes
from flipbot.plan_file import FILENAME as PLAN_FILENAME
from flipbot.plan_file import FlipPlan
from flipbot.verdict_file import Verdict, find_verdict
from gate.rejudge import read_regular, rejudge, same

# As trainer/registry_view.py (bot never imports trainer).
DEFAULT_ENSEMBLE_ID = "fr_regressor_v2_ensemble_v1"


@dataclass(frozen=True)
class TrustOptions:
    ensemble_id: str = DEFAULT_ENSEMBLE_ID  # rows are <ensemble_id>_seed<N> (--ensemble-id)
    allow_recipe_override: bool = False  # --allow-recipe-override


def verify(
    verdict_dir: str | Path,
    artifacts_dir: str | Path,
    base: Callable[[str], BaseView],
    options: TrustOptions = TrustOptions(),
) -> Flip:
    """Everything the bot acts on, re-derived; ``base(plan_registry)`` reads the base's files."""
    verdict_path = find_verdict(verdict_dir)
    data = read_regular(verdict_path, "verdict")
    verdict = Verdict.from_json(parse_json_bytes(data, str(verdict_path)), str(verdict_path))
    rejudge(verdict, verdict_path)
    verdict_sha = sha256_bytes(data)
    calibration = load_calibration(verdict_path, verdict)
    if verdict.refused or not verdict.flip:
        # Nothing flips: export had nothing to ship, so no plan is read at all.
        return Flip(verdict, verdict_path, verdict_sha, None, (), calibration)
    plan_path = Path(artifacts_dir) / PLAN_FILENAME
    plan = FlipPlan.from_json(
        parse_json_bytes(read_regular(plan_path, "flip plan"), str(plan_path)), str(plan_path)
    )
    _check_plan_binding(plan, str(plan_path), verdict, verdict_path, verdict_sha, options)
    view = base(plan.registry)
    targets = derive_targets(
        verdict,
        ensemble_id=options.ensemble_id,
        registry_path=view.registry_path,
        registry_text=view.registry_text,
        with_ensemble_row=any(r.seed is None for r in plan.rows),
        base=view.where,
    )
    _check_plan_matches(plan, str(plan_path), targets)
    files, models, override = read_artifacts(
        plan, Path(artifacts_dir), targets, verdict, options.allow_recipe_override
    )
    corpus = _read_corpus(verdict, view, verdict_path)
    in_sample = check_models(
        models, corpus, f"{verdict.pins.corpus} ({view.where})", verdict.thresholds["per_seed_min"]
    )
    return Flip(
        verdict,
        verdict_path,
        verdict_sha,
        plan,
        files,
        calibration,
        targets,
        tuple(override),
        drift=load_drift(artifacts_dir, plan),
        in_sample=in_sample,
        base=view,
    )


def _check_plan_binding(
    plan: FlipPlan,
    where: str,
    verdict: Verdict,
    verdict_path: Path,
    verdict_sha: str,
    options: TrustOptions,
) -> None:
    if plan.verdict_sha256 != verdict_sha or plan.verdict_file != verdict_path.name:
        raise InputError(
            f"{where}: field 'verdict_sha256' names {plan.verdict_file} {str(plan.verdict_sha256)[:12]}, "
            f"but {verdict_path} has sha256 {verdict_sha[:12]}; rerun `trainer export` on this verdict"
        )
    if not same(plan.pins, asdict(verdict.pins)):
        raise InputError(f"{where}: field 'pins' differs from {verdict_path}'s pins; rerun export")
    if plan.ensemble_id != options.ensemble_id:
        raise InputError(
            f"{where}: field 'ensemble_id' is {plan.ensemble_id!r} but the bot flips "
            f"{options.ensemble_id!r}; pass the same --ensemble-id to export and bot"
        )


def _check_plan_matches(plan: FlipPlan, where: str, targets: tuple[Target, ...]) -> None:
    """The plan's rows and files must be exactly the derived ones: nothing else is accepted."""
    for i, row in enumerate(plan.rows):
        seed_ok = row.seed is None or (type(row.seed) is int)
        if not (
            isinstance(row.id, str)
            and seed_ok
            and row.smoke is False
            and isinstance(row.sha256, str)
        ):
            raise InputError(
                f"{where}: rows[{i}] needs a string id and sha256, an integer seed and "
                "smoke false; rerun `trainer export`"
            )
    got_rows = sorted((r.id, -1 if r.seed is None else r.seed) for r in plan.rows)
    want_rows = sorted((t.row_id, -1 if t.seed is None else t.seed) for t in targets)
    if got_rows != want_rows:
        raise InputError(
            f"{where}: field 'rows' flips {[r for r, _ in got_rows]} but the re-judged verdict and "
            f"the registry give {[r for r, _ in want_rows]}; rerun `trainer export`"
        )
    wanted = {t.path: t.artifact for t in targets}
    wanted |= {t.sidecar_path: t.sidecar_artifact or "" for t in targets if t.sidecar_path}
    seen: set[str] = set()
    for i, entry in enumerate(plan.files):
        path, artifact = entry.path, entry.artifact
        if not isinstance(path, str) or wanted.get(path) != artifact or path in seen:
            raise InputError(
                f"{where}: files[{i}] writes {path!r} from {artifact!r}, which is not a file of "
                "a flipped row (destinations are derived from the registry); rerun `trainer export`"
            )
        seen.add(path)
    if seen != set(wanted):
        raise InputError(
            f"{where}: field 'files' lacks {sorted(set(wanted) - seen)}; rerun `trainer export`"
        )


def _read_corpus(verdict: Verdict, view: BaseView, verdict_path: Path) -> bytes:
    path = clean_repo_path(str(verdict.pins.corpus), f"{verdict_path}: field 'pins.corpus'")
    data = view.read(path)
    if data is None:
        raise InputError(
            f"{verdict_path}: field 'pins.corpus' names {path}, which is not in {view.where}; "
            "commit the corpus the gate judged"
        )
    if sha256_bytes(data) != verdict.pins.corpus_sha256:
        raise InputError(
            f"{path} ({view.where}): sha256 {sha256_bytes(data)[:12]} differs from field "
            f"'pins.corpus_sha256' of {verdict_path}; train and judge on the committed corpus"
        )
    return data


def check_commit(
    flip: Flip,
    registry: str,
    edit: RegistryEdit,
    committed: dict[str, bytes],
    *,
    own: Iterable[ShippedFile] = (),
    extra: Iterable[ShippedFile] = (),
) -> None:
    """After the edit: only the bot's rewrite at the registry, each row bound to its file's bytes.

    ``own`` are files the bot derives itself on this side (the ensemble manifest kept in sync,
    the verdict as audit trail): their paths are still checked like every destination.
    ``extra`` are the repository's ``extra-files`` (rendered from its own templates): clean
    paths outside ``.git``/``.github`` that replace neither the registry, nor a shipped file,
    nor a derived one.
    """
    shipped = {f.path for f in flip.files}
    if registry in shipped or committed.get(registry) != edit.after_bytes():
        raise InputError(
            f"{registry}: a shipped file would replace the registry; rerun `trainer export`"
        )
    rows = registry_rows(edit.after, registry)
    for t in flip.targets:
        row = rows.get(t.row_id, {})
        data = committed.get(t.path)
        if data is None or row.get("sha256") != sha256_bytes(data) or row.get("smoke") is not False:
            raise InputError(
                f"{registry}: row '{t.row_id}' field 'sha256' would not be the sha256 of the bytes "
                f"committed at {t.path}; rerun `trainer export`"
            )
    folder = PurePosixPath(registry).parent
    mine = set()
    for f in own:
        clean_repo_path(f.path, f"{registry} (derived file)")
        inside = folder in PurePosixPath(f.path).parents
        if f.path == registry or f.path in shipped or not inside:
            raise InputError(
                f"{f.path}: a derived file (manifest, verdict) must sit in the folder of "
                f"{registry} and replace nothing shipped; check --verdict-file and the ensemble id"
            )
        mine.add(f.path)
    for f in extra:
        clean_repo_path(f.path, "input 'extra-files'")
        if f.path == registry or f.path in shipped or f.path in mine:
            raise InputError(
                f"input 'extra-files': '{f.path}' is the registry, a model file or a file the bot "
                "derives; choose another path"
            )
        mine.add(f.path)
    unknown = set(committed) - {registry} - shipped - mine
    if unknown or PurePosixPath(registry).name in (".git", ".github"):
        raise InputError(f"{registry}: the commit would write {sorted(unknown)}; rerun the bot")
