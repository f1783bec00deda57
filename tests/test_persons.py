"""Persons: codice fiscale checks, duplicates, persons without a code, search."""

from codicefiscale import codicefiscale

from app.people import check_cf, normalize_cf
from app.store import persons
from tests.conftest import csrf_from

VERDI = codicefiscale.encode(lastname="Verdi", firstname="Giuseppe", gender="M",
                             birthdate="03/04/1941", birthplace="Milano")


def _register(client, **values):
    page = client.get("/persone/nuova")
    data = {"csrf_token": csrf_from(page), "cognome": "Verdi", "nome": "Giuseppe", "sesso": "M",
            "data_nascita": "1941-04-03", **values}
    return client.post("/persone/nuova", data=data, follow_redirects=True)


def test_normalize_cf():
    assert normalize_cf("  rss mra 41d03 f205b ") == "RSSMRA41D03F205B"


def test_check_cf_decodes_and_compares():
    from datetime import date

    assert check_cf("RSSMRA41D03F205B", date(1941, 4, 3), "M").warnings == []
    result = check_cf("RSSMRA41D03F205B", date(1941, 4, 4), "F")
    assert result.valid and len(result.warnings) == 2
    assert not check_cf("RSSMRA41D03F205C").valid
    assert check_cf("12345678901").provisional


def _with_check_character(first15: str) -> str:
    return first15 + codicefiscale.encode_cin(first15 + "X")


def test_check_cf_says_in_one_sentence_what_is_wrong(app):
    with app.test_request_context():
        errors = {code: check_cf(code).error for code in (
            "rss mra 41", "RSSMRA41D03F205X", "RSSMRA41Z03F205B",
            _with_check_character("RSSMRA41D03Z999"), _with_check_character("RSSMRA41D73F205"))}
    assert list(errors.values()) == [
        "Codice fiscale «RSSMRA41» non valido: ha 8 caratteri invece di 16.",
        "Codice fiscale «RSSMRA41D03F205X» non valido: il carattere di controllo finale non "
        "corrisponde agli altri (un carattere è scritto male).",
        "Codice fiscale «RSSMRA41Z03F205B» non valido: non ha la forma di un codice fiscale "
        "(6 lettere, 2 cifre, la lettera del mese, 2 cifre, 1 lettera, 3 cifre, 1 lettera).",
        "Codice fiscale «RSSMRA41D03Z999C» non valido: il codice del luogo di nascita (Z999) non "
        "corrisponde a nessun comune o stato.",
        "Codice fiscale «RSSMRA41D73F205I» non valido: la data di nascita che contiene non "
        "esiste.",
    ]


def test_check_cf_agrees_with_python_codicefiscale():
    """The fast check accepts and refuses what the library's decode does, and reads the
    same birth date and sex: real codes, omocodes, foreign-born, one-character typos."""
    import random
    from datetime import date, timedelta

    rng = random.Random(20261124)
    codes = []
    for _ in range(150):
        born = date(1920, 1, 1) + timedelta(days=rng.randrange(37000))
        codes.append(codicefiscale.encode(
            lastname=rng.choice(["Rossi", "D'Angelo", "Bo"]), firstname="Niccolò",
            gender=rng.choice("MF"), birthdate=born.strftime("%d/%m/%Y"),
            birthplace=rng.choice(["Milano", "Bergamo", "Svizzera", "Marocco"])))
    codes += [omocode for code in codes[:20] for omocode in
              codicefiscale.decode(code)["omocodes"][1:3]]
    for code in codes[:150]:
        at = rng.randrange(16)
        codes.append(code[:at] + rng.choice("ABCDEHLMPRSTXZ0123456789") + code[at + 1:])
    codes += ["RSSMRA41D31F205X", "RSSMRA00B30F205X", "RSSMRA41D03Z999X"]
    valid = 0
    for code in codes:
        ours = check_cf(code)
        assert ours.valid == codicefiscale.is_valid(code), code
        if ours.valid:
            valid += 1
            decoded = codicefiscale.decode(code)
            expected_warnings = check_cf(code, decoded["birthdate"].date(), decoded["gender"])
            assert expected_warnings.warnings == [], code
    assert 170 < valid < len(codes)


def test_typo_in_codice_fiscale_is_refused_and_input_kept(client, auth, world, db):
    auth.login("amm_a")
    before = persons.count(db)
    page = _register(client, codice_fiscale="VRDGPP41D03F205X", telefono="031 555 666")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Codice fiscale «VRDGPP41D03F205X» non valido" in html
    assert 'value="031 555 666"' in html and 'value="Verdi"' in html
    assert persons.count(db) == before


def test_lower_case_code_with_spaces_is_normalised(client, auth, world, db):
    auth.login("amm_a")
    valid = VERDI
    page = _register(client, codice_fiscale=" " + valid.lower()[:8] + " " + valid.lower()[8:])
    assert page.status_code == 200
    assert valid in page.get_data(as_text=True)
    assert persons.find_by_codice_fiscale(db, world["offices"]["A"], valid)


def test_mismatch_with_birth_date_is_a_warning(client, auth, world):
    auth.login("amm_a")
    page = _register(client, codice_fiscale=VERDI, data_nascita="1941-05-03")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "non corrisponde a quella del codice fiscale" in html


def test_duplicate_codice_fiscale_links_the_existing_person(client, auth, world, db):
    auth.login("amm_a")
    before = persons.count(db)
    page = _register(client, codice_fiscale="RSSMRA41D03F205B", cognome="Rossi", nome="Mario")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Esiste già una persona con questo codice fiscale" in html
    assert f'href="/persone/{world["persons"]["A"]}"' in html
    assert persons.count(db) == before


def test_same_code_in_another_office_is_separate(client, auth, world, db):
    auth.login("amm_b")
    page = _register(client, codice_fiscale="RSSMRA41D03F205B", cognome="Rossi", nome="Mario")
    assert page.status_code == 200
    assert persons.find_by_codice_fiscale(db, world["offices"]["B"], "RSSMRA41D03F205B")


def test_person_without_code_is_allowed_but_flagged(client, auth, world):
    auth.login("amm_a")
    page = _register(client, cognome="Okafor", nome="Grace", sesso="F", data_nascita="")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "senza codice fiscale" in html
    listing = client.get("/persone/?q=okafor").get_data(as_text=True)
    assert "Okafor Grace" in listing and "senza codice fiscale" in listing


def test_search_by_part_of_a_name_or_code(client, auth, world, db):
    persons.create(db, world["offices"]["A"], {"cognome": "Rossetti", "nome": "Niccolò"}, None)
    persons.create(db, world["offices"]["A"], {"cognome": "D'Angelo", "nome": "Rosa"}, None)
    auth.login("as_a")
    html = client.get("/persone/?q=ross").get_data(as_text=True)
    assert "Rossi Mario" in html and "Rossetti Niccolò" in html and "D&#39;Angelo" not in html
    html = client.get("/persone/?q=niccolo").get_data(as_text=True)
    assert "Rossetti Niccolò" in html
    html = client.get("/persone/?q=RSSMRA41").get_data(as_text=True)
    assert "Rossi Mario" in html and "Rossetti Niccolò" not in html
    html = client.get("/persone/?q=d'angelo").get_data(as_text=True)
    assert "Angelo Rosa" in html


def test_search_answers_htmx_with_the_results_only(client, auth, world):
    auth.login("as_a")
    response = client.get("/persone/?q=ros", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "Rossi Mario" in html and "<html" not in html


def test_edit_keeps_input_on_error(client, auth, world):
    auth.login("amm_a")
    url = f"/persone/{world['persons']['A']}/modifica"
    page = client.get(url)
    response = client.post(url, data={"csrf_token": csrf_from(page), "cognome": "",
                                      "nome": "Mario", "indirizzo": "Via Nuova 3"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Campo obbligatorio" in html and 'value="Via Nuova 3"' in html


def test_email_is_validated(client, auth, world):
    auth.login("amm_a")
    page = _register(client, cognome="Neri", nome="Ada", email="non-una-email")
    assert page.status_code == 422
    assert "Indirizzo email non valido" in page.get_data(as_text=True)
    page = _register(client, cognome="Neri", nome="Ada", email="ada.neri@example.it")
    assert page.status_code == 200 and "ada.neri@example.it" in page.get_data(as_text=True)


def test_additional_fields_from_the_persona_form(client, auth, world, db):
    auth.login("amm_a")
    page = client.get("/persone/nuova")
    html = page.get_data(as_text=True)
    assert "Stato civile" in html and 'name="permesso_scadenza"' not in html
    response = client.post("/persone/nuova", data={
        "csrf_token": csrf_from(page), "cognome": "Haddad", "nome": "Amina", "sesso": "F",
        "stato_civile": "vedovo", "straniero": "si", "permesso_scadenza": "31/12/2027"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Vedovo/a" in html and "31/12/2027" in html
    stored = list(db.query("SELECT extra FROM persons WHERE cognome = 'Haddad'"))[0]["extra"]
    assert '"permesso_scadenza": "2027-12-31"' in stored


def test_additional_fields_update_live(client, auth, world):
    auth.login("amm_a")
    page = client.get("/persone/nuova")
    response = client.post("/persone/modulo/aggiorna", data={
        "csrf_token": csrf_from(page), "straniero": "si"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "straniero"})
    assert 'name="permesso_scadenza"' in response.get_data(as_text=True)


def test_bad_additional_value_keeps_everything(client, auth, world):
    auth.login("amm_a")
    page = client.get("/persone/nuova")
    response = client.post("/persone/nuova", data={
        "csrf_token": csrf_from(page), "cognome": "Haddad", "nome": "Amina",
        "straniero": "si", "permesso_scadenza": "32/13/2027", "telefono": "02 123"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Data non valida" in html and 'value="32/13/2027"' in html and 'value="02 123"' in html
