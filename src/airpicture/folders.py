"""Output folders that never cost the user's data: checked before any work, written under a temporary sibling,
renamed into place when complete, marked with a manifest, replaced only when airpicture made them.

Every folder airpicture writes (a run's results, ``airpicture track``'s results, a sweep) carries
``manifest.json``: the tool, its version, the kind of folder and what it holds (each file with its size in
bytes). ``--overwrite`` replaces an existing folder only if its manifest says airpicture made it, of the same
kind, and it holds nothing else (besides what airpicture adds to such a folder later, such as
``report.html``); anything else -- a folder of the user's, the current folder or one of its parents, the home
folder, ``/``, a symbolic link, a mount point -- is refused with exit code 2 before any work starts.

Staging. :class:`Staging` creates ``.NAME.partial-XXXXXXXX`` next to the final folder before the work starts (so
a folder that cannot be written is found at once), holding ``.airpicture-lock``: the writer's process id, with
an exclusive ``flock`` held for as long as that process lives. On success the folder is renamed into place --
swapped atomically with the folder it replaces where the kernel can (``renameat2(RENAME_EXCHANGE)``, Linux), by
two renames otherwise -- and the replaced folder is deleted. On failure or interruption the temporary folder is
removed, with any parent folders the staging created. A process killed outright (SIGKILL, power loss) cannot
clean up: the next run into the same parent finds such leftovers (``.NAME.partial-*``, ``.NAME.old-*``),
removes those that carry airpicture's lock file or manifest and whose lock no live process holds, and reports
the others without touching them.

Written by hand: no library offers a directory swap with ownership checks; ``tempfile`` and ``os.replace`` do
the rest.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airpicture import __version__
from airpicture.errors import InputError

MANIFEST = "manifest.json"
LOCK = ".airpicture-lock"
TOOL = "airpicture"
MANIFEST_FORMAT = 1
KINDS = ("run", "track", "sweep")
#: What airpicture may add to a folder of each kind after writing it (``airpicture report``), besides the
#: files the manifest lists.
LATER_ENTRIES: dict[str, frozenset[str]] = {
    "run": frozenset({"report.html", "figures"}),
    "track": frozenset(),
    "sweep": frozenset({"sweep.json", "rows", "sweep.parquet", "figures", ".lock"}),
}
#: Prefixes of temporary names airpicture uses inside its folders (report rewrites, sweep rows).
_OWN_TEMP_MARKERS = (".partial", ".old-", ".tmp-")
_VIRTUAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
_LEFTOVER_TAGS = (".partial-", ".old-")


# ------------------------------------------------------------------------------------------------ manifest
def manifest_data(kind: str, folder: Path, about: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manifest of ``folder`` as written now: every entry (files with their size, folders with a
    trailing ``/``), sorted by name; deterministic (no dates, no paths)."""
    contents: list[dict[str, Any]] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name in (MANIFEST, LOCK):
            continue
        if entry.is_dir():
            contents.append({"name": entry.name + "/"})
        else:
            contents.append({"name": entry.name, "bytes": entry.stat().st_size})
    return {"tool": TOOL, "format": MANIFEST_FORMAT, "version": __version__, "kind": kind, **(about or {}),
            "contents": contents}


def write_manifest(folder: Path, kind: str, about: dict[str, Any] | None = None) -> None:
    """Write ``folder/manifest.json`` (through a temporary name and a rename)."""
    data = manifest_data(kind, folder, about)
    tmp = folder / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of ``folder`` if it has a readable one written by airpicture, else None."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("tool") != TOOL or data.get("kind") not in KINDS:
        return None
    return data


def _own_temporary(name: str) -> bool:
    return name.startswith(".") and any(m in name for m in _OWN_TEMP_MARKERS)


def foreign_entries(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Entries of ``folder`` that airpicture did not put there (not in the manifest, not a later addition of
    its kind, not one of its temporaries)."""
    listed = {str(c.get("name", "")).rstrip("/") for c in manifest.get("contents", []) if isinstance(c, dict)}
    allowed = listed | LATER_ENTRIES.get(str(manifest.get("kind")), frozenset()) | {MANIFEST, LOCK}
    return sorted(e.name for e in folder.iterdir() if e.name not in allowed and not _own_temporary(e.name))


# ------------------------------------------------------------------------------------------------ checks
def _protected(real: Path) -> str | None:
    """Why ``real`` (a resolved path) must never be replaced, or None."""
    if real == Path(real.anchor):
        return "is the root folder"
    home = Path.home().resolve()
    if real == home:
        return "is your home folder"
    cwd = Path.cwd().resolve()
    if real == cwd:
        return "is the current folder"
    if real in cwd.parents:
        return "contains the current folder"
    if real in home.parents:
        return "contains your home folder"
    return None


def _first_existing(path: Path) -> Path:
    p = path
    while not os.path.lexists(p):
        if p.parent == p:
            break
        p = p.parent
    return p


def check_output_path(text: str | Path, option: str = "--out") -> Path:
    """Refuse an output path that can never be a folder of ours, whatever is in it; return it as a Path.

    Refused: an empty path; a path not ending in a folder name (``.``, ``..``); a path under /proc, /sys or
    /dev; a path below an existing file; a symbolic link; an existing file; a path whose nearest existing
    folder cannot be written.
    """
    raw = str(text)
    if not raw.strip():
        raise InputError("command line", f"{option} is empty; expected a folder path such as runs/my-run")
    path = Path(raw).expanduser()
    if path.name in ("", ".", ".."):
        raise InputError(raw, f"{option} must end in a folder name for airpicture to create (got '{raw}'); "
                              "e.g. runs/my-run")
    absolute = Path(os.path.abspath(path))
    for root in _VIRTUAL_ROOTS:
        if absolute == root or root in absolute.parents:
            raise InputError(raw, f"is inside {root}, a virtual file system; choose a folder on a disk")
    if path.is_symlink():
        raise InputError(raw, "is a symbolic link; give the folder itself")
    if path.exists() and not path.is_dir():
        raise InputError(raw, "exists and is a file; expected a folder")
    anchor = _first_existing(absolute.parent)
    if not anchor.is_dir():
        raise InputError(raw, f"'{anchor}' is a file, not a folder; expected a path made of folders")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise InputError(raw, f"cannot create a folder in '{anchor}' (no write permission)")
    return path


def check_replaceable(path: Path, kind: str, overwrite: bool, option: str = "--out") -> bool:
    """Whether writing ``kind`` results to ``path`` replaces an existing folder (True) or makes a new one
    (False). Refuses, naming what is wrong, a non-empty folder without ``overwrite`` and, with it, any folder
    that is not airpicture's own folder of this kind holding nothing else. Reads only."""
    if not path.exists():
        return False
    real = path.resolve()
    why = _protected(real)
    if why is not None:
        raise InputError(str(path), f"{why}; airpicture writes its results into a new folder and replaces only a "
                                    f"folder it made: choose another {option}")
    if os.path.ismount(real):
        raise InputError(str(path), f"is a mount point; choose a folder inside it as {option}")
    if not any(path.iterdir()):
        return True
    manifest = read_manifest(path)
    if not overwrite:
        hint = " or pass --overwrite" if manifest is not None and manifest.get("kind") == kind else ""
        raise InputError(str(path), f"already exists and is not empty; choose another {option}{hint}")
    if manifest is None:
        raise InputError(str(path), f"is not a folder airpicture wrote (no readable {MANIFEST}); --overwrite "
                                    f"replaces only such folders. Nothing was changed: choose another {option} "
                                    "or remove the folder yourself")
    if manifest.get("kind") != kind:
        raise InputError(str(path), f"holds airpicture {manifest.get('kind')} results; --overwrite replaces only "
                                    f"{kind} results: choose another {option}")
    foreign = foreign_entries(path, manifest)
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise InputError(str(path), f"holds files airpicture did not write ({shown}); --overwrite would delete "
                                    f"them. Nothing was changed: move them out or choose another {option}")
    return True


# ------------------------------------------------------------------------------------------------ leftovers
@dataclass(frozen=True)
class Leftover:
    """A temporary folder found next to an output folder, and what was done with it."""

    path: Path
    removed: bool
    reason: str
    in_use: bool = False

    def describe(self) -> str:
        if self.removed:
            return f"removed {self.path}, left by an airpicture process that was killed ({self.reason})"
        return f"left {self.path} alone: {self.reason}"


def _lock_holder(folder: Path) -> tuple[int | None, int | None]:
    """(fd with the lock taken, pid written in the lock file) of ``folder``'s lock file; fd None if a live
    process holds the lock (or there is no lock file)."""
    lock = folder / LOCK
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return None, None
    try:
        pid_text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        pid = int(pid_text) if pid_text.isdigit() else None
    except OSError:
        pid = None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None, pid
    return fd, pid


def clean_leftovers(parent: Path, names: Sequence[str] | None = None) -> list[Leftover]:
    """Find airpicture's temporary folders in ``parent`` (of the output folders ``names``, or of any) and remove
    those that are provably airpicture's and not in use; report the rest."""
    found: list[Leftover] = []
    try:
        entries = sorted(parent.iterdir(), key=lambda p: p.name)
    except OSError:
        return found
    for entry in entries:
        name = entry.name
        if not name.startswith(".") or not any(tag in name for tag in _LEFTOVER_TAGS):
            continue
        if names is not None and not any(name.startswith(f".{n}{tag}") for n in names for tag in _LEFTOVER_TAGS):
            continue
        if entry.is_symlink() or not entry.is_dir():
            continue
        found.append(_handle_leftover(entry))
    return found


def _handle_leftover(entry: Path) -> Leftover:
    has_lock = (entry / LOCK).exists()
    ours = has_lock or read_manifest(entry) is not None or read_manifest(entry / "old") is not None
    if not ours:
        return Leftover(entry, False, "it has no airpicture lock file or manifest, so it may not be airpicture's")
    fd, pid = _lock_holder(entry) if has_lock else (None, None)
    if has_lock and fd is None:
        who = f"process {pid}" if pid else "a running process"
        return Leftover(entry, False, f"{who} is still writing it", in_use=True)
    try:
        size = _tree_size(entry)
        shutil.rmtree(entry)
    except OSError as exc:
        return Leftover(entry, False, f"could not remove it ({exc.strerror})")
    finally:
        if fd is not None:
            os.close(fd)
    what = f"process {pid}, " if pid else ""
    return Leftover(entry, True, f"{what}{_megabytes(size)}")


def _tree_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


# ------------------------------------------------------------------------------------------------ staging
def _renameat2() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or file system cannot."""
    fn = _renameat2()
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@dataclass
class Staging:
    """A results folder being written: checked now, created as a locked temporary sibling by :meth:`start`,
    renamed into place by :meth:`commit`, removed by :meth:`abandon` (see the module doc).

    ``kind`` is one of :data:`KINDS`; ``notes`` collects what was found and cleaned in the parent.
    """

    final: Path
    kind: str
    overwrite: bool = False
    option: str = "--out"
    replaces: bool = False
    notes: list[str] = field(default_factory=list)
    tmp: Path | None = None
    _lock_fd: int | None = None
    _made_parents: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.final = check_output_path(self.final, self.option)
        self.replaces = check_replaceable(self.final, self.kind, self.overwrite, self.option)

    def start(self) -> Path:
        """Clear leftovers next to the final folder, create the parents and the locked temporary folder."""
        parent = self.final.parent
        if parent.is_dir():
            # leftovers of any output folder in this parent: the runs writing into it now are left alone
            self.notes += [x.describe() for x in clean_leftovers(parent) if x.removed or not x.in_use]
        self._make_parents(parent)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.partial-", dir=parent))
        except OSError as exc:
            self._remove_parents()
            raise InputError(str(self.final), f"cannot create a folder next to it: {exc.strerror}") from None
        self.tmp = tmp
        os.chmod(tmp, 0o755)
        self._lock_fd = _take_lock(tmp)
        return tmp

    def _make_parents(self, parent: Path) -> None:
        missing = []
        p = parent
        while not p.exists():
            missing.append(p)
            if p.parent == p:
                break
            p = p.parent
        for p in reversed(missing):
            try:
                p.mkdir()
            except FileExistsError:
                if not p.is_dir():
                    self._remove_parents()
                    raise InputError(str(self.final), f"'{p}' is a file, not a folder") from None
                continue
            except OSError as exc:
                self._remove_parents()
                raise InputError(str(self.final), f"cannot create the folder '{p}': {exc.strerror}") from None
            self._made_parents.append(p)

    def _remove_parents(self) -> None:
        for p in reversed(self._made_parents):
            try:
                p.rmdir()
            except OSError:
                break
        self._made_parents.clear()

    def commit(self, about: dict[str, Any] | None = None) -> Path:
        """Write the manifest and move the finished folder into place; return the final path."""
        assert self.tmp is not None, "start() first"
        write_manifest(self.tmp, self.kind, about)
        # Checked again: another process may have created the folder since the work started.
        replaces = check_replaceable(self.final, self.kind, self.overwrite, self.option)
        if replaces:
            trash = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.old-", dir=self.final.parent))
            trash_fd = _take_lock(trash)
            try:
                if exchange(self.tmp, self.final):
                    os.replace(self.tmp, trash / "old")
                else:
                    os.replace(self.final, trash / "old")
                    os.replace(self.tmp, self.final)
                self.tmp = None
                shutil.rmtree(trash, ignore_errors=True)
            finally:
                os.close(trash_fd)
        else:
            os.replace(self.tmp, self.final)
            self.tmp = None
        (self.final / LOCK).unlink(missing_ok=True)
        self._release()
        self._made_parents.clear()
        return self.final

    def abandon(self) -> None:
        """Remove the temporary folder (and the parents the staging created)."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        self._release()
        self._remove_parents()

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def _take_lock(folder: Path) -> int:
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def staged(final: str | Path, kind: str, overwrite: bool = False, option: str = "--out") -> Staging:
    """A :class:`Staging` checked now (raises :class:`InputError` before any work) but not yet started.
    ``final`` may be the text the user typed (an empty string is refused, not read as the current folder)."""
    return Staging(final, kind, overwrite, option)  # type: ignore[arg-type]


class StagedFolder:
    """Context manager over a started :class:`Staging`: yields the temporary folder, commits on success,
    abandons on any exception (interruptions included)."""

    def __init__(self, staging: Staging, about: dict[str, Any] | None = None) -> None:
        self.staging = staging
        self.about = about

    def __enter__(self) -> Path:
        return self.staging.tmp if self.staging.tmp is not None else self.staging.start()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self.staging.commit(self.about)
            except BaseException:
                self.staging.abandon()
                raise
        else:
            self.staging.abandon()
