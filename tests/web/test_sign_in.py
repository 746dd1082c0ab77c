"""Sign-in for the pages: demo users, hashed passwords, CSRF, throttling, sessions, sign-out."""
import re

import pytest
from argon2 import PasswordHasher

from app.api.factory import create_app
from app.store.documents import SignInFailures, User

HOMES = {"manager-1": "/orders", "manager-2": "/orders", "backoffice": "/inbox",
         "analyst": "/models", "admin": "/dashboard"}


@pytest.fixture
def client(system):
    SignInFailures.objects.delete()
    return create_app(system).test_client()


def csrf(client, path="/login") -> str:
    """The session's CSRF token, as every page carries it (meta tag and forms)."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', page).group(1)


def sign_in(client, username, password="demo"):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf(client)})


def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page and ">Sign in</button>" in page


@pytest.mark.parametrize("username", sorted(HOMES))
def test_each_demo_user_signs_in_to_the_home_of_their_role(client, username):
    response = sign_in(client, username)
    assert response.status_code == 302 and response.headers["Location"] == HOMES[username]
    assert client.get("/").headers["Location"] == HOMES[username]


def test_passwords_are_stored_as_argon2_hashes_not_as_text(client):
    user = User.objects(username="manager-1").first()
    assert user.password_hash.startswith("$argon2id$") and "demo" not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, "demo")


def test_a_wrong_password_is_refused_with_a_readable_message(client):
    response = sign_in(client, "manager-1", "wrong")
    assert response.status_code == 200
    assert "Wrong user name or password." in response.get_data(as_text=True)
    assert client.get("/").headers["Location"] == "/login"


def test_sign_in_without_the_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "manager-1", "password": "demo"})
    assert response.status_code == 400
    assert client.get("/").headers["Location"] == "/login"


def test_the_session_cookie_is_http_only_and_same_site_lax(client):
    cookie = sign_in(client, "manager-1").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # embedded default: plain http on loopback


def test_repeated_failures_are_throttled_even_with_the_right_password(client):
    for _ in range(5):
        assert "Wrong user name" in sign_in(client, "manager-2", "guess").get_data(as_text=True)
    locked = sign_in(client, "manager-2", "demo")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)


def test_sign_out_ends_the_session(client):
    sign_in(client, "admin")
    token = csrf(client, "/")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").headers["Location"] == "/login"


def test_next_only_goes_to_a_path_on_this_site(client):
    data = {"username": "manager-1", "password": "demo", "csrf_token": csrf(client),
            "next": "//evil.example/steal"}
    assert client.post("/login", data=data).headers["Location"] == "/orders"


def test_the_api_accepts_the_session_and_needs_its_csrf_token_to_change_anything(client):
    sign_in(client, "manager-1")
    assert client.get("/api/v1/projects").status_code == 200
    body = {"reason": "test"}
    refused = client.post("/api/v1/orders/ord_x/cancel", json=body)
    assert refused.status_code == 403 and "CSRF" in refused.get_json()["message"]
    token = csrf(client, "/")
    allowed = client.post("/api/v1/orders/ord_x/cancel", json=body, headers={"X-CSRFToken": token})
    assert allowed.status_code == 404  # past the CSRF check: there is no such order


def test_pages_speak_russian_when_the_browser_asks_for_it(client):
    page = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert "Имя пользователя" in page and 'lang="ru"' in page


def test_a_wrong_password_in_a_real_browser(pages):
    page = pages().sign_in("backoffice", "not-the-password")
    assert page.url.endswith("/login")
    assert page.get_by_role("alert").inner_text() == "Wrong user name or password."
    assert page.input_value("input[name=username]") == "backoffice"
