"""Saved scenarios and plans share their CRUD routes; this builds them for either."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from critmin.api.deps import Services, not_found, services
from critmin.api.parsing import BodyDataError
from critmin.api.schemas import Doc, DocCreated, DocIn, DocSummary
from critmin.data.errors import DataError
from critmin.store import NotFoundError

Id = Annotated[str, Path(max_length=64)]


def crud(router: APIRouter, what: str, check: Callable[[str], Any]) -> None:
    """Add list/create/get/update/delete routes for ``what`` (``scenario`` or ``plan``) to
    ``router``; ``check`` validates the YAML text (raising :class:`DataError`)."""

    def store_fn(svc: Services, op: str, plural: bool = False) -> Callable[..., Any]:
        fn: Callable[..., Any] = getattr(svc.store, f"{op}_{what}{'s' if plural else ''}")
        return fn

    def validated(body: DocIn) -> None:
        try:
            check(body.yaml)
        except DataError as e:
            raise BodyDataError(e, "yaml") from e

    @router.get("", response_model=list[DocSummary], name=f"list_{what}s")
    def list_docs(svc: Annotated[Services, Depends(services)]) -> list[dict[str, Any]]:
        return list(store_fn(svc, "list", plural=True)())

    @router.post("", status_code=201, response_model=DocCreated, name=f"create_{what}")
    def create(body: DocIn, svc: Annotated[Services, Depends(services)]) -> dict[str, Any]:
        validated(body)
        rec: dict[str, Any] = store_fn(svc, "add")(body.name, body.yaml)
        return rec

    @router.get("/{doc_id}", response_model=Doc, name=f"get_{what}")
    def get(doc_id: Id, svc: Annotated[Services, Depends(services)]) -> dict[str, Any]:
        try:
            rec: dict[str, Any] = store_fn(svc, "get")(doc_id)
        except NotFoundError as e:
            raise not_found(what, doc_id) from e
        return rec

    @router.put("/{doc_id}", response_model=Doc, name=f"update_{what}")
    def update(
        doc_id: Id, body: DocIn, svc: Annotated[Services, Depends(services)]
    ) -> dict[str, Any]:
        try:
            store_fn(svc, "get")(doc_id)
        except NotFoundError as e:
            raise not_found(what, doc_id) from e
        validated(body)
        rec: dict[str, Any] = store_fn(svc, "update")(doc_id, body.name, body.yaml)
        return rec

    @router.delete("/{doc_id}", status_code=204, name=f"delete_{what}")
    def delete(doc_id: Id, svc: Annotated[Services, Depends(services)]) -> Response:
        try:
            store_fn(svc, "delete")(doc_id)
        except NotFoundError as e:
            raise not_found(what, doc_id) from e
        return Response(status_code=204)
