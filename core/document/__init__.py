"""Documents on disk and in memory: project files, undo history, selection, CSV exchange."""
from .document import Autosaver, Document
from .history import Command, History, TakeEdit
from .project import (
    CURRENT_VERSION, SCHEMA_NAME, TakeFileError, autosave_path, discard_recovery, find_recovery, load_take,
    save_take,
)
from .openface import CurveImportError
from .selection import SelectionModel

__all__ = [
    "Autosaver", "CURRENT_VERSION", "Command", "CurveImportError", "Document", "History", "SCHEMA_NAME", "SelectionModel",
    "TakeEdit", "TakeFileError", "autosave_path", "discard_recovery", "find_recovery", "load_take", "save_take",
]
