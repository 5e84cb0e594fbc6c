"""Login, logout, password change, and the axes lock-out after repeated failures."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7")


def test_login_then_logout(client, rep):
    response = login(client, "rep", "pw-for-tests")
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_shows_an_error_and_logs_nobody_in(client, rep):
    response = login(client, "rep", "wrong")
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account_out(client, rep, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "rep", "wrong").status_code == 200
    locked = login(client, "rep", "wrong")
    assert locked.status_code == 429
    assert b"Too many failed login attempts" in locked.content
    # Even the right password is refused while locked out.
    assert login(client, "rep", "pw-for-tests").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_lock_out_is_per_username_and_address(client, rep, rep2, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "rep", "wrong")
    # A colleague at the same address is not locked out by someone else's failures.
    assert login(client, "rep2", "pw-for-tests").status_code == 302


def test_password_change(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw-for-tests", "new_password1": "a-New-passw0rd-42", "new_password2": "a-New-passw0rd-42"},
    )
    assert response.status_code == 302 and response.url == reverse("password_change_done")
    rep.refresh_from_db()
    assert rep.check_password("a-New-passw0rd-42")


def test_password_change_rejects_a_mismatch_and_writes_nothing(client, rep):
    client.force_login(rep)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw-for-tests", "new_password1": "a-New-passw0rd-42", "new_password2": "different-0ne"},
    )
    assert response.status_code == 200
    assert b"didn" in response.content  # "The two password fields didn't match."
    rep.refresh_from_db()
    assert rep.check_password("pw-for-tests")
