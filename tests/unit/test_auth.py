from shared.auth import ApiKey, KeyRing, Principal, Role, hash_key


def test_keys_are_found_by_hash_only():
    ring = KeyRing([ApiKey(sha256=hash_key("secret-1"), role=Role.DEPARTMENT, code="tax")])
    assert ring.principal("secret-1") == Principal(Role.DEPARTMENT, "tax")
    assert ring.principal("secret-2") is None
    assert ring.principal("") is None


def test_a_township_sees_only_itself():
    p = Principal(Role.TOWNSHIP, "445202001")
    assert p.can_see_township("445202001")
    assert not p.can_see_township("445202002")


def test_supervisors_see_their_area():
    county = Principal(Role.SUPERVISOR, "445202")
    city = Principal(Role.SUPERVISOR, "445200")
    assert county.can_see_township("445202003")
    assert not county.can_see_township("445281001")
    assert city.can_see_township("445281001") and city.can_see_township("445202003")
    assert not city.can_see_township("440300001")


def test_departments_see_no_township():
    assert not Principal(Role.DEPARTMENT, "tax").can_see_township("445202001")
