"""A day's work over 2G: bytes per application, and the time for 60 applications to reach the server.

Targets (issue 4): under 40 KB per application with a compressed portrait and templates; a day's
60 applications synced over a simulated 2G link (40 kbit/s, 300 ms round trip, 5 % loss) within
1.5 times the payload's size over the link's raw bandwidth.

Set-up (not timed): a central server on SQLite with the demo commune, a kit set up from an enrollment
file, its village assigned, its morning down-sync done on a good link, then 60 captures with
camera-sized JPEG portraits (``sim.field.synthetic_photo``), approved on the kit. Timed: one
``KitSync`` through ``tests.support.network.ShapedLink`` sending what the pipeline needs first (the weak-link
mode: full-resolution portraits stay on the kit for a better link).

Baseline, in the same run: the payload's bytes (signed envelopes and priority-0 sealed parts) over
the link's raw bandwidth, ``raw_transfer_seconds``. The link model's own clock (``span_up_s``) is
reported beside the wall clock: it does not move with the machine's load.

With ``--real`` (issue 16) the kit captures real biometrics: its ``CameraSource`` checks a real
portrait at camera size (the vendored test photos and their transforms, upscaled to 1200×1600) and
reads ten fingerprint images per adult (the simulated scanner's PNG prints) with NBIS mindtct; the
finger set travels at priority 0, the portrait once (the face part points at it), the images at
priority 1. The weak-link mode leaves the images and the full-resolution portrait on the kit; their
size is reported.

    python -m bench.field_sync --applications 60
    python -m bench.field_sync --applications 60 --real
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import io
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import func, select
from tests.factories import faces
from tests.support.network import LinkProfile, ShapedLink, raw_transfer_seconds

from bench.figures import Report, console
from civicid.app import create_app
from civicid.biometrics.finger_set import MissingReason
from civicid.biometrics.portrait_quality import PortraitChecker
from civicid.campaign.assignments import assign_villages_to_kit
from civicid.core.audit import Actor
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import open_context
from civicid.core.settings import Settings
from civicid.country.zone import TIME_ZONE
from civicid.devices import enrollment_file
from civicid.enrollment.models import Application
from civicid.enrollment.runtime import keystore_of
from civicid.field import setup
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, OutboxItem, OutboxPart
from civicid.field.sources import CameraSource, join_fingerprint_images
from civicid.field.sync import KitSync
from civicid.field.unlock import KitLogin
from civicid.registry import service as registry
from civicid.sim.demo import build_demo
from civicid.sim.field import capture_from_sim
from civicid.sim.fingerprints import impression
from civicid.web.serving import ServerThread

ACTOR = Actor("system", "bench")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--real", action="store_true", help="Real portraits and ten fingerprint images per adult.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="civicid-bench-field-") as folder:
        run(Path(folder), args.applications, args.concurrency, args.seed, real=args.real)


class _ScannerOnce(CameraSource):
    """The real source, reading the ten benchmark prints with mindtct once: every adult "has" the same
    fingers, which changes no byte count (this benchmark measures the link, not the matcher)."""

    def __init__(self) -> None:
        super().__init__()
        self._read: dict[tuple[bytes, ...], bytes] = {}

    def fingers(
        self, person_id: int, attempt: int, images: Sequence[bytes | None], missing: MissingReason | None
    ) -> bytes:
        key = tuple(i or b"" for i in images)
        if key not in self._read:
            self._read[key] = super().fingers(person_id, attempt, images, missing)
        return self._read[key]


@functools.cache
def _camera_photos() -> list[bytes]:
    """The vendored photos and their transforms at camera size (1200 px wide), those the kit's check accepts."""
    checker = PortraitChecker()
    photos = []
    for how in ("original", "crop", "rotate", "light", "jpeg"):
        for name in (*faces.SAME_PERSON, *faces.OTHERS):
            data = faces.portrait(name) if how == "original" else faces.transformed(name, how)
            with Image.open(io.BytesIO(data)) as opened:
                picture = opened.convert("RGB")
            picture = picture.resize((1200, 1200 * picture.height // picture.width), Image.Resampling.BICUBIC)
            out = io.BytesIO()
            picture.save(out, format="JPEG", quality=90)
            if checker.check(out.getvalue()).acceptable:
                photos.append(out.getvalue())
    return photos


def _camera_photo(index: int) -> bytes:
    photos = _camera_photos()
    return photos[index % len(photos)]


def run(folder: Path, applications: int, concurrency: int, seed: int, *, real: bool = False) -> None:
    # Shared by server and kit; moved on after the morning sync.
    clock = FixedClock(dt.datetime.now(dt.UTC), zone=TIME_ZONE)
    context = open_context(Settings(data_dir=folder / "server", simulated_biometrics=True), clock=clock)
    commune = build_demo(context=context, people=max(600, applications * 4)).commune_code
    with unit_of_work(context.database.sessions) as session:
        villages = [v.id for v in registry.list_villages(session=session, commune_code=commune)]
        content, passphrase, device_id = enrollment_file.make_enrollment_file(
            session=session,
            clock=clock,
            actor=ACTOR,
            commune_code=commune,
            server_url="http://unused",
            sealing_key=keystore_of(context).sealing_public_key(),
        )
        assign_villages_to_kit(
            session=session,
            clock=clock,
            actor=ACTOR,
            device_id=device_id,
            village_ids=villages,
            start=clock.today(),
            end=clock.today() + dt.timedelta(days=2),
        )
    clock.advance(dt.timedelta(days=1))  # the registry was loaded the day before the campaign day
    supervisor = setup.FirstSupervisor(KitLogin("bench-supervisor", "bench-password-1"), "Bench Supervisor")
    setup.enroll_from_file(root=folder / "kit", clock=clock, data=content, passphrase=passphrase, supervisor=supervisor)
    kit = Kit.open(folder / "kit", supervisor.login)
    server = ServerThread(create_app(context))
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            KitSync(kit=kit, clock=clock, client=client).run()  # the morning's extract, on a good link
        clock.advance(dt.timedelta(hours=8))  # the day's work; the evening sync finds no registry change
        with console.status(f"capturing {applications} applications on the kit"):
            if real:
                prints = join_fingerprint_images(impression(900 + finger, 1) for finger in range(10))
                capture_from_sim(
                    kit=kit,
                    clock=clock,
                    count=applications,
                    seed=seed,
                    source=_ScannerOnce(),
                    portrait_of=_camera_photo,
                    fingerprint_images=prints,
                )
            else:
                capture_from_sim(kit=kit, clock=clock, count=applications, photos=True, seed=seed)
        payload, parts = payload_bytes(kit)
        report = Report("field_sync_2g_real" if real else "field_sync_2g")
        with ShapedLink(upstream=("127.0.0.1", server.port), profile=LinkProfile.TWO_G, seed=seed) as link:
            with console.status(f"syncing {applications} applications over the simulated 2G link"):
                start = time.perf_counter()
                with httpx.Client(base_url=link.url, timeout=httpx.Timeout(300, connect=60)) as client:
                    result = KitSync(
                        kit=kit,
                        clock=clock,
                        client=client,
                        rng=random.Random(seed),
                        concurrency=concurrency,
                        chunk_bytes=64 * 1024,
                        send_later_parts=False,
                    ).run()
                wall = time.perf_counter() - start
            stats = link.stats
        with unit_of_work(context.database.sessions) as session:
            received = session.scalar(select(func.count()).select_from(Application))
        floor = raw_transfer_seconds(payload, LinkProfile.TWO_G)
        report.add(
            "payload per application (envelope + priority-0 parts)",
            payload / applications / 1000,
            "KB",
            target="< 40 KB",
        )
        for name, size in sorted(parts.items()):
            report.add(f"  of which {name}", size / applications / 1000, "KB")
        for name, size in sorted(later_bytes(kit).items()):
            report.add(f"  left for a better link (priority 1): {name}", size / applications / 1000, "KB")
        report.add("sent on the link per application (HTTP included)", stats.bytes_up / applications / 1000, "KB")
        report.add("sync time, wall clock", wall, "s", baseline=floor, target="≤ 1.5× payload / raw bandwidth")
        report.add("sync time, link model (upload span)", stats.span_up_s, "s", baseline=floor)
        report.add("link busy sending (model)", stats.busy_up_s, "s", baseline=floor)
        report.context.update(
            {
                "applications": applications,
                "received_by_server": received,
                "sync_complete": result.complete,
                "errors": result.errors[:3],
                "link": "40 kbit/s, 300 ms round trip, 5 % segment loss, Linux RTO (tests/support/network.py)",
                "segments_lost": f"{stats.segments_lost} of {stats.segments_up + stats.segments_down}",
                "concurrency": concurrency,
            }
        )
        report.print()
        report.save()
    finally:
        kit.close()
        server.stop()
        context.database.close()


def later_bytes(kit: Kit) -> dict[str, int]:
    """The priority-1 parts (full-resolution portraits, fingerprint images), by part: what waits on the kit."""
    with kit.transaction() as session:
        rows = session.execute(
            select(OutboxPart.name, func.sum(OutboxPart.size)).where(OutboxPart.priority == 1).group_by(OutboxPart.name)
        ).all()
    return {name: int(size) for name, size in rows}


def payload_bytes(kit: Kit) -> tuple[int, dict[str, int]]:
    """The application data the sync must move: envelopes and priority-0 sealed parts, by part."""
    with kit.transaction() as session:
        envelopes = sum(len(e) for e in session.scalars(select(OutboxItem.envelope_jws)))
        rows = session.execute(
            select(OutboxPart.name, func.sum(OutboxPart.size)).where(OutboxPart.priority == 0).group_by(OutboxPart.name)
        ).all()
        assert session.get(KitIdentity, 1) is not None  # noqa: S101
    parts = {"envelope": envelopes, **{name: int(size) for name, size in rows}}
    return sum(parts.values()), parts


if __name__ == "__main__":
    main()
