"""What an instructor downloads from an LMS, read as submissions.

``find_submissions(sources)`` takes the ``SOURCE`` arguments of ``lstm-lab class grade`` and
returns ``(submissions, notices)``: one ``Found`` per student (their files held in memory, their
content hash, when they submitted and whether the export says it was late) and, for what could not
be read (an empty zip, a folder with nothing in it), a ``Notice`` worded for the instructor. A
source is, by what it holds:

- a ``.zip``: unpacked (no absolute paths, no ``..``, no links, bounded in size), then read as the
  folder it holds;
- a Gradescope export: a folder with ``submission_metadata.yml`` and ``submission_<id>/`` folders;
- a Canvas export: files at the top named ``name_[LATE_]id_subid_file`` (a file uploaded twice
  ends in ``-1``; a submitted ``.zip`` is unpacked as the student's files);
- GitHub Classroom clones: folders that each hold ``.git`` (``assignment-login``: the common
  prefix is dropped; the time is the last commit's);
- otherwise a folder of submission folders, one per student, named after the student.

Only ``.py`` files are kept; the rest (a notebook, a data file) is named in the submission's
``problems``, as are missing exercise modules and the duplicates of a student. Nothing here runs
student code or imports it: it reads bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import subprocess
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from ..target import MODULES

#: Bounds of what one source may unpack to (a zip bomb is a notice, not a full disk).
MAX_ZIP_MB = 512
MAX_FILE_MB = 16
#: Names never taken as part of a submission.
JUNK = {"__pycache__", ".git", ".DS_Store", "__MACOSX", ".ipynb_checkpoints", ".pytest_cache"}
CANVAS = re.compile(
    r"^(?P<name>[A-Za-z0-9-]+)_(?P<late>LATE_)?(?P<id>\d+)_(?:(?P<sub>\d+)_)?(?P<file>.+)$"
)
GRADESCOPE_METADATA = "submission_metadata.yml"


class SourceError(ValueError):
    """A ``SOURCE`` argument that names nothing readable."""


@dataclass
class Found:
    """One student's submission as found in a source."""

    student: str
    name: str
    label: str
    source: str
    files: dict[str, bytes] = field(default_factory=dict)
    lms_id: str | None = None
    submitted_at: datetime | None = None
    late: bool | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + hashlib.sha256(self.files[path]).digest())
        return digest.hexdigest()

    def stage(self, folder: Path) -> Path:
        """Write the submission's files under ``folder`` (which must not exist) and return it."""
        folder.mkdir(parents=True)
        for relative, data in self.files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return folder


@dataclass(frozen=True)
class Notice:
    """Something wrong with a source as a whole, for ``class status`` and the report."""

    source: str
    message: str


# -- reading files ---------------------------------------------------------------------------------
def _collect(root: Path, found: Found, prefix: str = "") -> None:
    """Keep the ``.py`` files under ``root`` in ``found``; name the others in its problems."""
    ignored = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in JUNK for part in relative.parts) or path.is_dir():
            continue
        if path.is_symlink() or not path.is_file():
            ignored.append(f"{prefix}{relative.as_posix()} (a link)")
        elif path.suffix == ".py" and path.stat().st_size <= MAX_FILE_MB * 2**20:
            found.files[prefix + relative.as_posix()] = path.read_bytes()
        else:
            ignored.append(prefix + relative.as_posix())
    _note_ignored(found, ignored)


def _note_ignored(found: Found, ignored: list[str]) -> None:
    notebooks = [name for name in ignored if name.endswith(".ipynb")]
    others = [name for name in ignored if not name.endswith(".ipynb")]
    if notebooks:
        found.problems.append(
            f"notebook not graded: {', '.join(notebooks)} (the grader reads .py modules: in "
            "Jupyter, File > Save and Export Notebook As > Executable Script)"
        )
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        found.problems.append(f"files that are not Python were ignored: {shown}")


def check_modules(found: Found) -> None:
    """Name the exercise modules the submission lacks (their points are lost)."""
    names = {PurePosixPath(path).name for path in found.files}
    missing = [m for m in MODULES if f"{m}.py" not in names]
    if len(missing) == len(MODULES):
        found.problems.append("no exercise module found: every exercise scores 0")
    elif missing:
        found.problems.append(
            f"missing {', '.join(m + '.py' for m in missing)}: their points are lost"
        )


# -- zips ------------------------------------------------------------------------------------------
def unpack(data: bytes, destination: Path, what: str) -> None:
    """Unpack a zip's regular files into ``destination``; ``SourceError`` if it cannot be."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{what} is not a readable zip ({exc})") from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if not members:
        raise SourceError(f"{what} is an empty zip: no submissions in it")
    if sum(m.file_size for m in members) > MAX_ZIP_MB * 2**20:
        raise SourceError(f"{what} unpacks to more than {MAX_ZIP_MB} MB: not unpacked")
    for member in members:
        name = PurePosixPath(member.filename)
        mode = member.external_attr >> 16
        if name.is_absolute() or ".." in name.parts or stat.S_ISLNK(mode):
            continue  # a path out of the folder, or a link: never written
        target = destination.joinpath(*name.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(member))


# -- the kinds of source ---------------------------------------------------------------------------
def _plain(folder: Path, source: str) -> list[Found]:
    found = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and p.name not in JUNK):
        one = Found(student=sub.name, name=sub.name, label=sub.name, source=source)
        _collect(sub, one)
        found.append(one)
    return found


def _classroom(folder: Path, source: str) -> list[Found]:
    clones = sorted(p for p in folder.iterdir() if (p / ".git").exists())
    names = [clone.name for clone in clones]
    prefix = _common_prefix(names) if len(names) > 1 else ""
    found = []
    for clone in clones:
        login = clone.name[len(prefix) :] or clone.name
        one = Found(student=login, name=login, label=clone.name, source=source)
        one.submitted_at = _last_commit(clone)
        _collect(clone, one)
        found.append(one)
    return found


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    cut = first[:size].rfind("-")
    return first[: cut + 1] if cut >= 0 else ""


def _last_commit(clone: Path) -> datetime | None:
    """The time of the clone's last commit (git reads, never runs, the instructor's clone)."""
    try:
        text = subprocess.run(
            [
                "git",
                "-c",
                f"safe.directory={clone}",
                "--no-pager",
                "-C",
                str(clone),
                "log",
                "-1",
                "--format=%cI",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        return parse_time(text)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def _canvas(folder: Path, source: str, unpack_to: Path) -> list[Found]:
    by_student: dict[tuple[str, str], Found] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        match = CANVAS.match(path.name)
        if match is None:
            continue
        key = (match["name"], match["id"])
        one = by_student.get(key)
        if one is None:
            one = Found(
                student=match["name"],
                name=match["name"],
                lms_id=match["id"],
                label=match["sub"] or match["id"],
                source=source,
                late=False,
            )
            by_student[key] = one
        one.late = one.late or bool(match["late"])
        _canvas_file(one, path, match["file"], unpack_to / f"{match['name']}_{match['id']}")
    return list(by_student.values())


def _canvas_file(one: Found, path: Path, name: str, unpack_to: Path) -> None:
    stem, suffix = Path(name).stem, Path(name).suffix
    stem = re.sub(r"-\d+$", "", stem)  # Canvas's mark of a file uploaded again
    if suffix == ".zip":
        try:
            unpack(path.read_bytes(), unpack_to, path.name)
        except SourceError as exc:
            one.problems.append(str(exc))
            return
        _collect(unpack_to, one)
    elif suffix == ".py" and path.stat().st_size <= MAX_FILE_MB * 2**20:
        one.files[stem + suffix] = path.read_bytes()
    else:
        _note_ignored(one, [stem + suffix])


def _gradescope(folder: Path, source: str) -> list[Found]:
    import yaml

    try:
        metadata = yaml.safe_load((folder / GRADESCOPE_METADATA).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SourceError(f"{folder / GRADESCOPE_METADATA} cannot be read: {exc}") from None
    found = []
    for sub_id, entry in sorted(metadata.items()):
        entry = entry if isinstance(entry, dict) else {}
        submitters = entry.get(":submitters") or entry.get("submitters") or [{}]
        first = submitters[0] if isinstance(submitters[0], dict) else {}
        sid = first.get(":sid") or first.get(":email") or first.get(":name") or str(sub_id)
        name = str(first.get(":name") or sid)
        when = entry.get(":created_at") or entry.get("created_at")
        one = Found(
            student=str(sid),
            name=name,
            label=str(sub_id),
            source=source,
            lms_id=str(sid),
            submitted_at=_when(when),
        )
        if (folder / str(sub_id)).is_dir():
            _collect(folder / str(sub_id), one)
        else:
            one.problems.append(f"the export lists {sub_id} but has no folder of that name")
        found.append(one)
    return found


def _when(value) -> datetime | None:
    if isinstance(value, datetime):
        return to_utc(value)
    try:
        return parse_time(value) if value else None
    except ValueError:
        return None


def utcnow() -> datetime:
    """Now, as the gradebook stores times: naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def parse_time(text: str) -> datetime:
    """An ISO-8601 time as a naive UTC datetime (``Z`` too, which Python 3.10 does not read);
    ``ValueError`` if it is none."""
    text = str(text).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return to_utc(datetime.fromisoformat(text))


def to_utc(moment: datetime) -> datetime:
    """A naive UTC datetime (what the gradebook stores); a naive input is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


# -- putting it together ---------------------------------------------------------------------------
def read_folder(folder: Path, source: str, scratch: Path) -> list[Found]:
    """The submissions in one folder, by the kind of export it is."""
    if (folder / GRADESCOPE_METADATA).is_file():
        return _gradescope(folder, source)
    entries = [p for p in folder.iterdir() if p.name not in JUNK]
    if any(p.is_file() and CANVAS.match(p.name) for p in entries):
        return _canvas(folder, source, scratch / "canvas")
    if any((p / ".git").exists() for p in entries if p.is_dir()):
        return _classroom(folder, source)
    dirs = [p for p in entries if p.is_dir()]
    if len(dirs) == 1 and not any(p.is_file() for p in entries) and _only_folders(dirs[0]):
        return read_folder(dirs[0], source, scratch)  # a zip of one folder of folders
    if not dirs and any(p.name == f"{m}.py" for p in entries for m in MODULES):
        raise SourceError(
            f"{source} holds exercise modules itself: it is one submission (grade it with "
            "lstm-lab grade), not a folder of submissions"
        )
    return _plain(folder, source)


def _short(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]


def _only_folders(folder: Path) -> bool:
    inside = [p for p in folder.iterdir() if p.name not in JUNK]
    return bool(inside) and all(p.is_dir() for p in inside)


def read_source(source: str, scratch: Path) -> list[Found]:
    """The submissions of one ``SOURCE`` argument; ``SourceError`` when it has none."""
    path = Path(source)
    if path.is_file() and path.suffix == ".zip":
        folder = scratch / f"unzipped-{_short(path)}"
        unpack(path.read_bytes(), folder, str(source))
        found = read_folder(folder, source, folder.with_name(folder.name + "-inner"))
    elif path.is_dir():
        found = read_folder(path, source, scratch / f"in-{_short(path)}")
    else:
        raise SourceError(
            f"SOURCE {source!r} must be a folder or a .zip (of submissions, or an LMS export)"
        )
    if not found:
        raise SourceError(f"{source} holds no submissions")
    return found


def find_submissions(sources, scratch: Path) -> tuple[list[Found], list[Notice]]:
    """Every student's submission across ``sources`` (one each: the latest), and the notices."""
    found, notices = [], []
    for source in sources:
        try:
            found += read_source(str(source), scratch)
        except SourceError as exc:
            notices.append(Notice(str(source), str(exc)))
    for one in found:
        check_modules(one)
    return _one_each(found), notices


def _one_each(found: list[Found]) -> list[Found]:
    """The latest submission of each student, with a problem naming the others."""
    by_student: dict[str, list[Found]] = {}
    for one in found:
        by_student.setdefault(one.student, []).append(one)
    kept = []
    for student, entries in sorted(by_student.items()):
        order = sorted(enumerate(entries), key=lambda e: (e[1].submitted_at or datetime.min, e[0]))
        latest = order[-1][1]
        if len(entries) > 1:
            others = ", ".join(f"{e.source}:{e.label}" for _, e in order[:-1])
            latest.problems.append(
                f"duplicate student: {len(entries)} submissions of {student}; graded the latest "
                f"({latest.source}:{latest.label}), not {others}"
            )
        kept.append(latest)
    return kept
