"""Material folders: a flat, ordered list per corp (names unique), managed by the people who
manage the company library. Deleting a folder leaves its materials unfiled."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from siyu.kit.errors import Conflict, NotFound
from siyu.materials.models import MaterialFolder
from siyu.materials.repository import MaterialFilter
from siyu.materials.repository import material_repository as repo
from siyu.materials.schemas import MaterialFolderCreate, MaterialFolderUpdate


class FolderService:
    def list(self, session: Session, *, where: MaterialFilter) -> list[tuple[MaterialFolder, int]]:
        """Folders with how many materials the caller sees in each."""
        counts = repo.folder_counts(session, where)
        return [(f, counts.get(f.id, 0)) for f in repo.folders(session, where.scope.corp_id)]

    def get_or_404(
        self, session: Session, corp_id: uuid.UUID, folder_id: uuid.UUID
    ) -> MaterialFolder:
        folder = repo.folder(session, corp_id, folder_id)
        if folder is None:
            raise NotFound(f"folder {folder_id} does not exist")
        return folder

    def create(
        self, session: Session, *, corp_id: uuid.UUID, data: MaterialFolderCreate
    ) -> MaterialFolder:
        self._check_name(session, corp_id, data.name, None)
        folder = MaterialFolder(corp_id=corp_id, name=data.name, position=data.position)
        session.add(folder)
        session.flush()
        return folder

    def update(
        self, session: Session, *, folder: MaterialFolder, data: MaterialFolderUpdate
    ) -> MaterialFolder:
        if data.name is not None:
            self._check_name(session, folder.corp_id, data.name, folder.id)
            folder.name = data.name
        if data.position is not None:
            folder.position = data.position
        session.flush()
        return folder

    def delete(self, session: Session, *, folder: MaterialFolder) -> None:
        session.delete(folder)
        session.flush()

    def _check_name(
        self, session: Session, corp_id: uuid.UUID, name: str, folder_id: uuid.UUID | None
    ) -> None:
        existing = repo.folder_named(session, corp_id, name)
        if existing is not None and existing.id != folder_id:
            raise Conflict(f"a folder named {name!r} exists already")


folder_service = FolderService()
