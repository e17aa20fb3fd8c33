import uuid

from hypothesis import given, strategies as st

from shared import ids


@given(st.uuids(), st.text())
def test_uuid5_is_the_standard_name_based_uuid(namespace, name):
    assert ids.uuid5(namespace, name) == uuid.uuid5(namespace, name)
    assert ids.uuid5(namespace, name).version == 5
