"""The labelled noisy records behind the matcher's quality benchmark: labels that can be trusted."""

import pytest

from services.matcher.domain.names import normalise_name
from shared import uscc
from shared.records.fields import registration_number_is_valid
from tests.benchmarks.noisy_records import NOISES, generate


@pytest.fixture(scope="module")
def data():
    return generate(entities=3_000, queries=3_000, seed=7)


def test_same_seed_gives_the_same_data(data):
    again = generate(entities=3_000, queries=3_000, seed=7)
    assert again.registry == data.registry
    assert [(r.record.data, r.truth, r.noise) for r in again.records] == [
        (r.record.data, r.truth, r.noise) for r in data.records
    ]


def test_registry_has_branches_and_old_registration_numbers(data):
    assert len({e.uscc for e in data.registry}) == len(data.registry)
    assert all(uscc.is_valid(e.uscc) for e in data.registry)
    assert any(normalise_name(e.name).branch for e in data.registry)
    numbers = [e.registration_number for e in data.registry if e.registration_number]
    assert numbers and all(registration_number_is_valid(n) for n in numbers)


def test_every_noise_type_occurs(data):
    assert {r.noise for r in data.records} == set(NOISES)


def test_truths_are_registered_and_twins_are_not(data):
    registered = {e.uscc for e in data.registry}
    for r in data.records:
        assert (r.truth is None) == (r.noise == "unregistered_twin")
        assert r.truth is None or r.truth in registered


def test_codes_carry_the_noise_they_are_labelled_with(data):
    by_uscc = {e.uscc: e for e in data.registry}
    for r in data.records:
        if r.noise == "wrong_check":
            assert not uscc.is_valid(r.record.uscc)
            assert sum(a != b for a, b in zip(r.record.uscc, r.truth)) == 1
        else:
            assert r.record.uscc is None
        if r.noise == "old_registration_number":
            assert registration_number_is_valid(r.record.data["registration_number"])
        if r.noise == "moved_address":
            assert r.record.township_code != by_uscc[r.truth].township_code


def test_twins_are_near_but_never_a_registered_name(data):
    registered = {normalise_name(e.name).full for e in data.registry}
    twins = [r for r in data.records if r.noise == "unregistered_twin" and r.cosmetic is None]
    assert twins
    for r in twins:
        name = r.record.data.get("taxpayer_name") or r.record.data["account_name"]
        assert normalise_name(name).full not in registered
