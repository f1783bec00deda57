"""Demonstration data: a living app for a newcomer, all fictional."""

import random
import secrets
from datetime import date, timedelta

from codicefiscale import codicefiscale
from sqlite_utils import Database

from .cycle import AREAS, CLOSING_REASONS, PHASES
from .demo_sheets import fill_case
from .store import atomic as store_atomic
from .store import audit, cases, offices, persons, users
from .store.scope import Scope

OFFICES = [
    ("MONZA", "Comune di Monza — Servizi sociali", "Piazza Trento e Trieste 1, 20900 Monza",
     "servizisociali@pec.comune.monza.example"),
    ("COMO", "Comune di Como — Servizio sociale professionale", "Via Vittorio Emanuele II 97, "
     "22100 Como", "protocollo@pec.comune.como.example"),
]

STAFF = [
    ("coord", "coordinator", "Coordinatrice del servizio sociale"),
    ("as", "social_worker", "Assistente sociale"),
    ("as2", "social_worker", "Assistente sociale"),
    ("amm", "staff", "Istruttore amministrativo"),
]

STAFF_NAMES = ["Laura Brambilla", "Giulia Colombo", "Marco Fumagalli", "Paola Galli",
               "Silvia Cattaneo", "Andrea Sala", "Chiara Longoni", "Davide Riva"]

SURNAMES = ["Rossi", "Bianchi", "Ferrari", "Esposito", "Ricci", "Marino", "Greco", "Bruno",
            "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi",
            "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso",
            "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "D'Angelo"]
FIRST = {"M": ["Mario", "Giuseppe", "Luigi", "Niccolò", "Francesco", "Antonio", "Giovanni",
               "Ahmed", "Paolo", "Luca"],
         "F": ["Maria", "Anna", "Giuseppina", "Rosa", "Lucia", "Francesca", "Fatima", "Chiara",
               "Sofia", "Elena"]}
TOWNS = ["Milano", "Monza", "Como", "Lecco", "Bergamo", "Brescia", "Varese", "Sondrio",
         "Cantù", "Seregno"]
STREETS = ["Via Garibaldi", "Via Mazzini", "Corso Italia", "Via Manzoni", "Via Roma",
           "Via Volta", "Viale Lombardia"]


def _person(rng: random.Random, index: int) -> dict:
    sex = "F" if index % 2 else "M"
    surname = SURNAMES[index % len(SURNAMES)]
    name = FIRST[sex][index % len(FIRST[sex])]
    age = rng.choice([rng.randint(3, 17), rng.randint(25, 60), rng.randint(68, 95)])
    born = date.today() - timedelta(days=age * 365 + rng.randint(0, 360))
    town = rng.choice(TOWNS)
    code = codicefiscale.encode(lastname=surname, firstname=name, gender=sex,
                                birthdate=born.strftime("%d/%m/%Y"), birthplace=town)
    return {
        "codice_fiscale": None if index % 15 == 14 else code,
        "cognome": surname, "nome": name, "sesso": sex, "data_nascita": born.isoformat(),
        "luogo_nascita": town, "cittadinanza": "italiana", "comune_residenza": town,
        "indirizzo": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
        "telefono": f"03{rng.randint(10, 99)} {rng.randint(100000, 999999)}",
    }


def _area_for(person: dict, rng: random.Random) -> str:
    age = date.today().year - int(person["data_nascita"][:4])
    if age < 18:
        return "minori_famiglia"
    if age >= 65:
        return rng.choice(["non_autosufficienza", "anziani", "disabilita"])
    return rng.choice([a for a in AREAS if a not in ("minori_famiglia", "anziani")])


def load_demo(db: Database, password: str | None = None, seed: int = 2026,
              n_persons: int = 30, catalog=None) -> dict:
    """Load offices, one user per role in each, persons with valid codici fiscali and cases."""
    rng = random.Random(seed)
    password = password or secrets.token_urlsafe(9)
    created_users, n_cases, n_entries = [], 0, 0
    phases = list(PHASES)
    with store_atomic(db):
        for o_index, (code, name, address, pec) in enumerate(OFFICES):
            office_id = offices.create(db, code, name, address=address, pec=pec)
            staff_ids = {}
            for s_index, (prefix, role, title) in enumerate(STAFF):
                username = f"{prefix}.{code.lower()}"
                full_name = STAFF_NAMES[o_index * len(STAFF) + s_index]
                staff_ids[prefix] = users.create(db, username, password, role, office_id,
                                                 full_name, title)
                created_users.append((username, role, code))
            workers = [staff_ids["as"], staff_ids["as2"]]
            for p_index in range(o_index, n_persons, len(OFFICES)):
                person = _person(rng, p_index)
                person_id = persons.create(db, office_id, person, staff_ids["amm"])
                phase = phases[(p_index // len(OFFICES)) % len(phases)]
                manager = workers[p_index % 2]
                opened = date.today() - timedelta(days=rng.randint(30, 700))
                review = date.today() + timedelta(days=rng.randint(-40, 90))
                case_id = cases.open_case(
                    db, {"id": person_id, "office_id": office_id},
                    {"area": _area_for(person, rng), "fase": phase, "manager_id": manager,
                     "data_apertura": opened.isoformat(),
                     "prossima_verifica": review.isoformat()},
                    [workers[(p_index + 1) % 2]] if p_index % 3 == 0 else [], staff_ids["amm"])
                if catalog is not None:
                    n_entries += fill_case(
                        db, catalog, cases.get(db, Scope(office_id), case_id),
                        persons.get(db, Scope(office_id), person_id), manager, rng)
                if phase == "chiusura":
                    cases.close(db, case_id, rng.choice(list(CLOSING_REASONS)),
                                (opened + timedelta(days=200)).isoformat(), manager)
                n_cases += 1
        audit.append(db, "create", username="demo", object_type="demo",
                     detail={"persone": n_persons, "pratiche": n_cases})
    return {"persons": n_persons, "cases": n_cases, "entries": n_entries, "users": created_users,
            "password": password}
