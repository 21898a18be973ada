from app.services.accounts import check_password, get_by_email


def test_users_create_and_set_role(runner, db_session):
    result = runner.invoke(args=["users", "create", "Kim@Example.org", "--role", "curator",
                                 "--password", "correct horse battery staple"])
    assert result.exit_code == 0, result.output
    user = get_by_email("kim@example.org")
    assert user.role == "curator"
    assert check_password(user, "correct horse battery staple")
    result = runner.invoke(args=["users", "set-role", "kim@example.org", "admin"])
    assert result.exit_code == 0
    assert get_by_email("kim@example.org").role == "admin"


def test_users_create_asks_for_password(runner, db_session):
    result = runner.invoke(args=["users", "create", "ask@example.org"],
                           input="a very long passphrase\na very long passphrase\n")
    assert result.exit_code == 0, result.output
    assert check_password(get_by_email("ask@example.org"), "a very long passphrase")


def test_users_create_refuses_duplicate(runner, db_session):
    runner.invoke(args=["users", "create", "dup@example.org", "--password", "long enough pass"])
    result = runner.invoke(args=["users", "create", "DUP@example.org", "--password", "long enough pass"])
    assert result.exit_code != 0
    assert "bereits ein Konto" in result.output  # the city default language is German


def test_tokens_create_prints_token_last(runner, db_session):
    from app.services.accounts import user_for_api_token

    runner.invoke(args=["users", "create", "tok@example.org", "--password", "long enough pass"])
    result = runner.invoke(args=["tokens", "create", "tok@example.org", "--name", "script"])
    assert result.exit_code == 0
    token = result.output.strip().split()[-1]
    assert user_for_api_token(token).email == "tok@example.org"


def test_seed_demo_prints_accounts_once(runner, db_session):
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "password:" in first.output
    second = runner.invoke(args=["seed", "demo"])
    assert "password:" not in second.output
    assert "0 places" in second.output
