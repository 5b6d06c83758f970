"""Resends racing through two nodes on one PostgreSQL: every message stored exactly once."""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
from pathlib import Path

import zeep
from sqlalchemy import func, select
from zeep.wsse.username import UsernameToken

from carebridge.contracts import contract_path
from carebridge.hl7.make_adt import generate
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from carebridge.store.models import Encounter, HL7Message, Patient, PatientIdentifier
from carebridge_lab.postgres import PostgresServer
from tests.conftest import make_settings
from tests.support.server import Node

FACILITY, PASSWORD = "TORONTO GENERAL", "tg-secret"


def fifty_messages() -> list[str]:
    rows = [f"A01|{7000 + n}|HOSP|PATIENT|N{n}|19700101|F|||" for n in range(25)]
    rows += [f"A03|{8000 + n}|HOSP|PATIENT|D{n}|19700101|M|V{n}|202403010800|202403031200"
             for n in range(25)]
    header = ("event|mrn|assigning_authority|last_name|first_name|birth_date|sex|"
              "visit_number|admit_time|discharge_time")
    result = generate("\n".join([header, *rows]) + "\n", sending_app="ADT1",
                      sending_facility=FACILITY, control_id_prefix="RACE",
                      now=dt.datetime(2024, 3, 20, 12, 0))
    assert len(result.messages) == 50
    return result.messages


def test_eight_clients_two_nodes_fifty_messages(postgres: PostgresServer, tmp_path: Path
                                               ) -> None:
    url = postgres.create_database(f"race_{os.getpid()}")
    settings = make_settings(tmp_path, url)
    upgrade(url)
    db = Database(settings)
    with db.transaction() as session:
        add_facility(session, FACILITY, PASSWORD, authorities=["HOSP"])
    nodes = [Node(settings, log_dir=tmp_path / f"n{i}").start() for i in range(2)]
    messages = fifty_messages()
    failures: list[str] = []

    def client(number: int) -> None:
        rng = random.Random(number)
        services = []
        for node in nodes:
            zc = zeep.Client(str(contract_path("wsdl", "PatientSubmission.wsdl")),
                             wsse=UsernameToken(FACILITY, PASSWORD),
                             transport=zeep.Transport(timeout=60, operation_timeout=60))
            services.append(zc.create_service("{urn:carebridge:patients:1}"
                                              "PatientSubmissionService",
                                              node.url + "/services/PatientSubmission"))
        order = list(messages)
        rng.shuffle(order)
        for i, message in enumerate(order):
            reply = services[(i + number) % 2].submitMessage(message)
            if reply.ackCode != "AA":
                failures.append(f"{reply.messageControlId}: {reply.ackCode} {reply.errors}")

    try:
        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    finally:
        for node in nodes:
            node.stop()
    assert failures == []
    with db.transaction() as session:
        def count(model: type) -> int:
            return session.scalar(select(func.count()).select_from(model))

        assert count(HL7Message) == 50
        assert count(Patient) == 50 and count(PatientIdentifier) == 50
        assert count(Encounter) == 25
    db.dispose()
