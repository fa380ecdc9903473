"""The local web app: Starlette routes over the store and the reset engine, Jinja2 templates, no script needed.

Endpoints are plain functions: Starlette runs them in its thread pool, and each opens its own Store
(SQLite connections stay on one thread). Every request has passed `security.Guard` first; a POST's
form fields are in `request.state.form`. Every POST answers with a redirect (post/redirect/get), so
reloading a page never repeats an action.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from endnoted.common import paths
from endnoted.common.config import Config
from endnoted.common.errors import AlreadyRunning, ArchiveRejected, EndnotedError
from endnoted.reading.enlx import prove
from endnoted.reading.library import Library, locate
from endnoted.repair import reset as reset_engine
from endnoted.repair.backup import make_backup
from endnoted.repair.reset_steps import LAST_STEP, RESET_TEXT, WEB_RIGHT, WEB_RIGHT_TITLE
from endnoted.running.notify import Notifier, choose
from endnoted.state.store import Store
from endnoted.web import chart, views
from endnoted.web import strings as t
from endnoted.web.jobs import Job, Jobs

HERE = Path(__file__).parent
BACKUP = Response(status_code=202)   # _act's answer "start step 0's backup" (a job, outside the lock)


@dataclass
class Web:
    """What the endpoints share: the settings, the running jobs, the templates and how to close."""

    settings: Config
    close: Callable[[], None]

    def __post_init__(self) -> None:
        self.jobs = Jobs()
        self._notifier: Notifier | None = None
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                                     autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        self.templates.globals.update(t=t, LAST_STEP=LAST_STEP, RESET_TEXT=RESET_TEXT)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(template).render(csrf=request.state.csrf, request=request, **context)
        return HTMLResponse(html, status_code=status)

    def notifier(self) -> Notifier:
        """This machine's notifier, made once: asked whether the daemon's alerts can reach the user."""
        if self._notifier is None:
            self._notifier = choose()
        return self._notifier

    def store(self) -> Store:
        return Store(paths.state_db())

    def library(self, store: Store, key: str) -> Library | None:
        for row in store.libraries():
            if views.key_of(row.path) == key:
                found = locate(Path(row.path)) if Path(row.path).exists() else []
                return found[0] if len(found) == 1 else None
        return None

    def engine(self, store: Store, library: Library) -> reset_engine.ResetEngine:
        return reset_engine.ResetEngine(store, library, backup_dir=self.settings.backups_dir,
                                        export_folders=tuple(self.settings.export_folders),
                                        stale_after_seconds=self.settings.stale_after_seconds)


def _back(url: str, **flash: str) -> RedirectResponse:
    query = urlencode({k: v for k, v in flash.items() if v})
    return RedirectResponse(url + (f"?{query}" if query else ""), status_code=303)


def _not_found(web: Web, request: Request) -> HTMLResponse:
    return web.page(request, "message.html", 404, title=t.NOT_FOUND, body=t.NOT_FOUND_BODY)


def routes(web: Web) -> list[Route | Mount]:
    def overview(request: Request) -> Response:
        with web.store() as store:
            data = views.overview(store, web.notifier())
        return web.page(request, "overview.html", **data)

    def library(request: Request) -> Response:
        key = request.path_params["key"]
        with web.store() as store:
            report = views.report_of(store, key)
            if report is None:
                return _not_found(web, request)
            path = report["path"]
            row = views.library_row(report, store, Path(path).stem)
            svg = chart.svg(row["name"], store.snapshots(path, limit=2000), store.sync_events(path))
            readings = chart.readings(store.snapshots(path, limit=2000))
            return web.page(request, "library.html", lib=row, findings=views.findings(report),
                            backups=views.backups(store, path)[:5], chart=Markup(svg),
                            readings=[{"at": f"{r.at.astimezone():%Y-%m-%d %H:%M}", "references": r.references,
                                       "trashed": r.trashed, "waiting": r.waiting} for r in reversed(readings)])

    # --- backups -----------------------------------------------------------------------------

    def backups(request: Request) -> Response:
        key = request.path_params["key"]
        with web.store() as store:
            report = views.report_of(store, key)
            if report is None:
                return _not_found(web, request)
            return web.page(request, "backups.html", lib=views.library_row(report, store, report["name"]),
                            backups=views.backups(store, report["path"]), folder=web.settings.backups_dir,
                            flash=request.query_params.get("flash", ""),
                            flash_tone=request.query_params.get("tone", "good"))

    def backup_now(request: Request) -> Response:
        key = request.path_params["key"]
        with web.store() as store:
            target = web.library(store, key)
        if target is None:
            return _not_found(web, request)

        def work(job: Job) -> str:
            result = make_backup(target, web.settings.backups_dir, progress=job.advance, total=job.set_total)
            with web.store() as store:
                store.record_backup(result.record(target.path))
            return t.JOB_DONE.format(references=t.count(result.counts.references, t.REFERENCES), path=result.path)

        job = web.jobs.start(t.JOB_TITLE.format(name=target.name), f"/library/{key}/backups", work)
        return _back(f"/jobs/{job.id}")

    def verify(request: Request) -> Response:
        key = request.path_params["key"]
        wanted = request.state.form.get("path", "")
        with web.store() as store:
            report = views.report_of(store, key)
            rows = store.backups(report["path"]) if report else []
            row = next((r for r in rows if r.path == wanted), None)
            if row is None:
                return _not_found(web, request)
            if not Path(row.path).exists():
                return _back(f"/library/{key}/backups", flash=t.BACKUP_MISSING.format(path=row.path), tone="bad")
            try:
                proof = prove(Path(row.path))
            except (ArchiveRejected, EndnotedError, OSError) as error:
                return _back(f"/library/{key}/backups", flash=t.BACKUP_BROKEN.format(error=error), tone="bad")
            store.mark_backup_verified(row)
        references = t.count(proof.counts.references, t.REFERENCES) if proof.counts else t.REFERENCES_UNKNOWN
        return _back(f"/library/{key}/backups", flash=t.BACKUP_VERIFIED.format(path=row.path, references=references))

    def job_page(request: Request) -> Response:
        job = web.jobs.get(request.path_params["job"])
        if job is None:
            return _not_found(web, request)
        return web.page(request, "job.html", job=job, state=job.to_json())

    def job_api(request: Request) -> Response:
        job = web.jobs.get(request.path_params["job"])
        if job is None:
            return JSONResponse({"state": "gone"}, status_code=404)
        state = job.to_json()
        state["text"] = {"running": t.JOB_RUNNING, "done": state["message"]}.get(
            state["state"], t.JOB_FAILED.format(error=state["message"]))
        return JSONResponse(state)

    # --- the reset wizard ----------------------------------------------------------------------

    def wizard(request: Request) -> Response:
        key = request.path_params["key"]
        query = request.query_params
        with web.store() as store:
            target = web.library(store, key)
            if target is None:
                return _not_found(web, request)
            engine = web.engine(store, target)
            context: dict[str, Any] = {"key": key, "engine": engine, "step": engine.step, "run": engine.run,
                                       "name": engine.library.name, "flash": query.get("flash", ""),
                                       "flash_tone": query.get("tone", "bad"), "unseen": query.get("unseen") == "1"}
            if query.get("finished") == "1" and engine.run is None:
                return web.page(request, "wizard_done.html", **context)
            if engine.run is None:
                need = engine.need()   # truth first: the same rule as the terminal's "does not call for a reset"
                return web.page(request, "wizard_start.html", evidence=engine.evidence(need), **context,
                                not_needed="" if need.called_for else t.WIZARD_NOT_NEEDED.format(
                                    word=t.VERDICT_WORDS[need.state.value], reason=need.reason,
                                    first="" if need.next_action.startswith("Nothing to do") else
                                    t.WIZARD_DO_FIRST.format(next_action=need.next_action)))
            step = engine.step
            assert step is not None
            context.update(
                on=engine.on(step).name, observed=[{**o, "how_text": t.HOW_SEEN.get(o["how"], o["how"])}
                                                   for o in engine.observed()],
                name_needed=engine.name_needed(), loss=engine.web_only() if engine.name_needed() else None,
                export=engine.newest_export() if step.check == "export-matches" else None,
                live=step.check not in (None, "backup"))
            return web.page(request, "wizard_step.html", **context)

    def wizard_action(request: Request) -> Response:
        key, action = request.path_params["key"], request.path_params["action"]
        form = request.state.form
        here = f"/library/{key}/reset"
        with web.store() as store:
            target = web.library(store, key)
            if target is None:
                return _not_found(web, request)
            engine = web.engine(store, target)
            try:
                with engine.lock():
                    engine.load()
                    response = _act(engine, action, form, here, key)
            except AlreadyRunning:
                return _back(here, flash=t.WIZARD_BUSY)
            except EndnotedError as error:
                return _back(here, flash=str(error))
        if response is not BACKUP:
            return response

        def work(job: Job) -> str:
            with web.store() as store:
                engine = web.engine(store, target)
                with engine.lock():
                    engine.load()
                    if engine.run_step() != 0:
                        return ""
                    outcome = engine.backup(progress=job.advance, total=job.set_total)
            if not outcome.ok:
                raise EndnotedError(outcome.error)
            return " ".join(outcome.lines)
        job = web.jobs.start(t.JOB_TITLE.format(name=target.name), here, work)
        return _back(f"/jobs/{job.id}")

    def _act(engine: reset_engine.ResetEngine, action: str, form: dict[str, str], here: str,
             key: str) -> Response:
        step = engine.step
        if action == "begin" and engine.run is None:
            situation = form.get("situation", "")
            if situation == "web-right":
                engine.decline()
                return _back(f"{here}/web-right")
            # The same rule as the terminal's "Go on anyway?": a library that does not call for a reset
            # starts one only on an explicit tick, judged again now (the page may be old).
            if form.get("anyway") != "1" and not engine.need().called_for:
                return _back(here, flash=t.WIZARD_ANYWAY_NEEDED)
            new = form.get("new_library", "").strip().strip('"')
            engine.begin(situation, Path(new).expanduser() if new else None)
            return _back(here)
        if action == "abandon" and engine.run is not None:
            ended = reset_engine.abandon(engine.store, engine.library.path)
            return _back(f"/library/{key}", flash=t.WIZARD_STOPPED if ended is not None and ended.backup
                         else t.WIZARD_STOPPED_NO_BACKUP)
        if step is None or form.get("step") != str(step.number):
            return _back(here)   # a stale page (the other front end moved on): show the current step
        if action == "backup" and step.number == 0:
            return BACKUP   # started once the lock is released: the job takes it itself
        if action == "name" and engine.name_needed():
            if not engine.accept_name(form.get("name", "")):
                return _back(here, flash=t.WIZARD_NAME_WRONG)
            return _back(here)
        if action == "confirm" and not engine.name_needed() and step.number:
            if step.check is None:
                engine.confirm()
            elif form.get("unseen") == "1" and engine.peek() is None:
                engine.confirm("the user confirmed (not observable here)")
            return _back(here)
        if action == "check" and step.check not in (None, "backup") and not engine.name_needed():
            given = form.get("export", "").strip().strip('"')
            seen = engine.check(Path(given).expanduser() if given else None)
            if seen is None:
                return _back(here, unseen="1")
            if seen.ok and engine.step is None:
                engine.finish()
                return _back(here, finished="1")
            return _back(here, flash=(t.WIZARD_SEEN if seen.ok else t.WIZARD_NOT_YET).format(detail=seen.detail),
                         tone="good" if seen.ok else "bad")
        return _back(here)

    def web_right(request: Request) -> Response:
        key = request.path_params["key"]
        with web.store() as store:
            target = web.library(store, key)
        if target is None:
            return _not_found(web, request)
        return web.page(request, "wizard_web_right.html", key=key, name=target.name, title=WEB_RIGHT_TITLE,
                        lines=[line.format(name=target.name, path=target.path) for line in WEB_RIGHT])

    def observe(request: Request) -> Response:
        key = request.path_params["key"]
        with web.store() as store:
            target = web.library(store, key)
            if target is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            engine = web.engine(store, target)
            step = engine.step
            if step is None:
                return JSONResponse({"step": None})
            seen = engine.peek() if step.check not in (None, "backup") else None
        return JSONResponse({"step": step.number, "visible": seen is not None, "ok": bool(seen and seen.ok),
                             "detail": (t.WIZARD_SEEN if seen and seen.ok else t.WIZARD_NOT_YET).format(
                                 detail=seen.detail) if seen else ""})

    def close(request: Request) -> Response:
        web.close()
        return web.page(request, "message.html", title=t.CLOSED_TITLE, body=t.CLOSED_BODY, closed=True)

    return [
        Route("/", overview),
        Route("/library/{key}", library),
        Route("/library/{key}/backups", backups),
        Route("/library/{key}/backups/new", backup_now, methods=["POST"]),
        Route("/library/{key}/backups/verify", verify, methods=["POST"]),
        Route("/library/{key}/reset", wizard),
        Route("/library/{key}/reset/web-right", web_right),
        Route("/library/{key}/reset/{action}", wizard_action, methods=["POST"]),
        Route("/jobs/{job}", job_page),
        Route("/api/jobs/{job}", job_api),
        Route("/api/library/{key}/observe", observe),
        Route("/close", close, methods=["POST"]),
        # follow_symlink: an editable install links the package files in; the folder itself is ours alone.
        Mount("/static", StaticFiles(directory=HERE / "static", follow_symlink=True), name="static"),
    ]


def application(web: Web) -> Starlette:
    return Starlette(routes=routes(web))
