def test_login_page_is_italian(client):
    page = client.get("/accesso")
    assert page.status_code == 200
    assert "Accedi a Cartella" in page.get_data(as_text=True)


def test_login_and_home(world, auth, client):
    response = auth.login("as_a")
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Rossi Mario" in home
